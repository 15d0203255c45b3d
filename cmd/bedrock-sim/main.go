// Command bedrock-sim serves the Bedrock Runtime and control-plane APIs from a catalog of model personas.
package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
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
	selfSigned := flags.Bool("tls", false, "serve HTTPS with a self-signed certificate generated at start (HTTP/2 and HTTP/1.1 by ALPN)")
	certOut := flags.String("tls-cert-out", "", "with --tls: write the self-signed certificate's PEM to this file, for clients to trust (AWS_CA_BUNDLE)")
	certFile := flags.String("tls-cert", "", "serve HTTPS with this PEM certificate (needs --tls-key)")
	keyFile := flags.String("tls-key", "", "the PEM private key of --tls-cert")
	var accessKeys map[string]string
	flags.Func("access-key", "accept only this `ID:SECRET` and verify SigV4 signatures (repeatable; default: any key, unverified)", func(v string) error {
		id, secret, ok := strings.Cut(v, ":")
		if !ok || id == "" || secret == "" {
			return errors.New("want ID:SECRET")
		}
		if accessKeys == nil {
			accessKeys = map[string]string{}
		}
		accessKeys[id] = secret
		return nil
	})
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			flags.SetOutput(stderr)
			fmt.Fprintln(stderr, "usage: bedrock-sim [--listen 127.0.0.1:0] [--catalog FILE] [--tls [--tls-cert-out FILE] | --tls-cert FILE --tls-key FILE] [--access-key ID:SECRET]...")
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

	opts := []bedrocksim.Option{bedrocksim.WithAccessLog(stderr)}
	tlsOpt, err := tlsOption(*selfSigned, *certOut, *certFile, *keyFile, *listen)
	if err != nil {
		fmt.Fprintf(stderr, "bedrock-sim: %v (see --help)\n", err)
		return exitUsage
	}
	if tlsOpt != nil {
		opts = append(opts, tlsOpt)
	}
	if accessKeys != nil {
		opts = append(opts, bedrocksim.WithAccessKeys(accessKeys))
	}
	server := bedrocksim.New(catalog, opts...)
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

// tlsOption checks the TLS flags and returns the option they ask for, nil for plain HTTP.
// A self-signed certificate names the listen host, 127.0.0.1 and localhost.
func tlsOption(selfSigned bool, certOut, certFile, keyFile, listen string) (bedrocksim.Option, error) {
	switch {
	case selfSigned && (certFile != "" || keyFile != ""):
		return nil, errors.New("--tls and --tls-cert/--tls-key exclude each other")
	case certOut != "" && !selfSigned:
		return nil, errors.New("--tls-cert-out needs --tls")
	case (certFile == "") != (keyFile == ""):
		return nil, errors.New("--tls-cert and --tls-key go together")
	case certFile != "":
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		return bedrocksim.WithTLS(cert), nil
	case selfSigned:
		host, _, _ := net.SplitHostPort(listen)
		cert, certPEM, err := bedrocksim.SelfSignedCertificate(cmp.Or(host, "127.0.0.1"), "127.0.0.1", "localhost")
		if err != nil {
			return nil, err
		}
		if certOut != "" {
			if err := os.WriteFile(certOut, certPEM, 0o644); err != nil {
				return nil, fmt.Errorf("--tls-cert-out: %w", err)
			}
		}
		return bedrocksim.WithTLS(cert), nil
	}
	return nil, nil
}
