// Command kubectl-modelcert is the kubectl plugin for ModelCertifications: `kubectl modelcert`
// re-runs certifications on demand, prints a run's per-check report and summarises a namespace.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	if err := newRootCommand(streams).ExecuteContext(ctx); err != nil {
		fmt.Fprintf(streams.ErrOut, "error: %v\n", err)
		stop()
		os.Exit(1)
	}
}

// options are what every subcommand shares: kubectl's connection flags and the output streams.
type options struct {
	config *genericclioptions.ConfigFlags
	genericiooptions.IOStreams
}

func newRootCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &options{config: genericclioptions.NewConfigFlags(true), IOStreams: streams}
	root := &cobra.Command{
		Use: "modelcert",
		// kubectl runs the plugin as `kubectl modelcert`; help and usage say so.
		Annotations: map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl modelcert"},
		Short:       "Re-run, report on and summarise ModelCertifications",
		Long: `kubectl modelcert works with ModelCertifications (certification.modelcert.io/v1alpha1):
re-run a certification now, print the per-check report of its last run, or summarise the
certifications of a namespace.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	o.config.AddFlags(root.PersistentFlags())
	root.AddCommand(newRerunCommand(o), newReportCommand(o), newStatusCommand(o))
	return root
}

// client returns a client for ModelCertifications from the kubeconfig flags.
func (o *options) client() (client.Client, error) {
	cfg, err := o.config.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	scheme := k8sruntime.NewScheme()
	if err := certv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("new client for %s: %w", cfg.Host, err)
	}
	return c, nil
}

// namespace is the namespace of -n/--namespace, else the kubeconfig context's, else default.
func (o *options) namespace() (string, error) {
	ns, _, err := o.config.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("read namespace from kubeconfig: %w", err)
	}
	return ns, nil
}

// resource is how kubectl names the kind in its messages.
const resource = "modelcertification.certification.modelcert.io"

// warn writes a kubectl-style warning.
func warn(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "Warning: "+format+"\n", args...)
}
