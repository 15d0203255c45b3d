// Command controlplane runs a throwaway kube-apiserver and etcd with the operator's CRDs
// installed, writes an admin kubeconfig, and runs until interrupted. `make demo` uses it.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/modelcert/modelcert-operator/internal/testenv"
)

func main() {
	// A flag set of its own: controller-runtime registers --kubeconfig on the global one.
	fs := flag.NewFlagSet("controlplane", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "", "where to write the admin kubeconfig (required)")
	_ = fs.Parse(os.Args[1:])
	if *kubeconfig == "" {
		fmt.Fprintln(os.Stderr, "controlplane: --kubeconfig is required")
		os.Exit(2)
	}
	env, err := testenv.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "controlplane: %v\n", err)
		os.Exit(1)
	}
	raw, err := os.ReadFile(env.Kubeconfig)
	if err == nil {
		// Written whole and then renamed, so that a waiting script never reads half a file.
		err = os.WriteFile(*kubeconfig+".tmp", raw, 0o600)
	}
	if err == nil {
		err = os.Rename(*kubeconfig+".tmp", *kubeconfig)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "controlplane: write kubeconfig: %v\n", err)
		_ = env.Stop()
		os.Exit(1)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	if err := env.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "controlplane: stop: %v\n", err)
		os.Exit(1)
	}
}
