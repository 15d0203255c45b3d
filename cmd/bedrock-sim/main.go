// Command bedrock-sim serves the Bedrock Runtime and control-plane APIs from a catalog of model personas.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/modelcert/modelcert-operator/internal/bedrocksim"
)

// Exit codes: 2 for usage and catalog errors, as flag parsing conventionally uses.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// shutdownGrace bounds how long in-flight requests may take once a signal arrives.
const shutdownGrace = 10 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run serves until ctx is done. The first line on stdout is "listening on URL", so
// that scripts and tests in other languages can start it on port 0.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("bedrock-sim", flag.ContinueOnError)
	flags.SetOutput(io.Discard) // errors are reported in one line below
	listen := flags.String("listen", "127.0.0.1:0", "address to listen on (host:port; port 0 picks a free one)")
	catalogPath := flags.String("catalog", "", "persona catalog YAML file (default: the embedded catalog)")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			flags.SetOutput(stderr)
			fmt.Fprintln(stderr, "usage: bedrock-sim [--listen 127.0.0.1:0] [--catalog FILE]")
			flags.PrintDefaults()
			return exitOK
		}
		fmt.Fprintf(stderr, "bedrock-sim: %v (see --help)\n", err)
		return exitUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "bedrock-sim: unexpected argument %q (see --help)\n", flags.Arg(0))
		return exitUsage
	}

	if _, _, err := net.SplitHostPort(*listen); err != nil {
		fmt.Fprintf(stderr, "bedrock-sim: --listen: %v (see --help)\n", err)
		return exitUsage
	}

	catalog := bedrocksim.DefaultCatalog()
	if *catalogPath != "" {
		var err error
		if catalog, err = bedrocksim.LoadCatalog(*catalogPath); err != nil {
			fmt.Fprintf(stderr, "bedrock-sim: %v\n", err)
			return exitUsage
		}
	}

	server := bedrocksim.New(catalog, bedrocksim.WithAccessLog(stderr))
	url, stop, err := server.Start(*listen)
	if err != nil {
		fmt.Fprintf(stderr, "bedrock-sim: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "listening on %s\n", url)

	<-ctx.Done()
	fmt.Fprintln(stderr, "bedrock-sim: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := stop(shutdownCtx); err != nil {
		fmt.Fprintf(stderr, "bedrock-sim: %v\n", err)
		return exitError
	}
	return exitOK
}
