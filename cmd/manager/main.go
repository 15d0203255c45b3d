// Command manager runs the modelcert operator, or one of its one-shot subcommands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: manager [run] [flags]     run the operator (the default)
       manager certify [flags]   certify one model once, with no Kubernetes and no database
       manager db check [flags]  compare every ModelCertification's status with its database row

Run "manager SUBCOMMAND -h" for the flags of each.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// dispatch runs the subcommand named by args[0] and returns the process exit code:
// 0 on success, 1 on failure, 2 on bad usage.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || len(args[0]) > 0 && args[0][0] == '-' {
		return runOperator(ctx, args, stderr)
	}
	switch args[0] {
	case "run":
		return runOperator(ctx, args[1:], stderr)
	case "certify":
		return runCertify(ctx, args[1:], stdout, stderr)
	case "db":
		return runDB(ctx, args[1:], stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "manager: unknown subcommand %q\n%s", args[0], usage)
		return 2
	}
}
