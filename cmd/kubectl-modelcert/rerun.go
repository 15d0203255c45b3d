package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

func newRerunCommand(o *options) *cobra.Command {
	var all, allNamespaces bool
	cmd := &cobra.Command{
		Use:   "rerun (NAME... | --all)",
		Short: "Start a run now, also while the verdict is current",
		Long: `Set the annotation ` + certv1.RequestedAtAnnotation + ` to the current time on each named
ModelCertification. The operator starts one run per new value, also while a verdict is current;
it ignores the request while the object is suspended.`,
		Example: `  kubectl modelcert rerun nova-lite-us-east-1 -n models
  kubectl modelcert rerun --all -n models
  kubectl modelcert rerun --all -A`,
		RunE: func(cmd *cobra.Command, names []string) error {
			switch {
			case all && len(names) > 0:
				return errors.New("rerun: name ModelCertifications or give --all, not both")
			case !all && len(names) == 0:
				return errors.New("rerun: name one or more ModelCertifications, or give --all")
			case allNamespaces && !all:
				return errors.New("rerun: -A/--all-namespaces needs --all; a name is looked up in one namespace")
			}
			return rerun(cmd.Context(), o, names, all, allNamespaces)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "re-run every ModelCertification in the namespace (with -A, in every namespace)")
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "with --all, every namespace")
	return cmd
}

// rerun requests a run of each object and goes on past failures, as kubectl does; the error
// counts them.
func rerun(ctx context.Context, o *options, names []string, all, allNamespaces bool) error {
	c, err := o.client()
	if err != nil {
		return err
	}
	ns, err := o.namespace()
	if err != nil {
		return err
	}
	targets := make([]client.ObjectKey, 0, len(names))
	for _, name := range names {
		targets = append(targets, client.ObjectKey{Namespace: ns, Name: name})
	}
	if all {
		var list certv1.ModelCertificationList
		var opts []client.ListOption
		if !allNamespaces {
			opts = append(opts, client.InNamespace(ns))
		}
		if err := c.List(ctx, &list, opts...); err != nil {
			return fmt.Errorf("list modelcertifications: %w", err)
		}
		if len(list.Items) == 0 {
			fmt.Fprintln(o.ErrOut, noResources(ns, allNamespaces))
			return nil
		}
		for _, item := range list.Items {
			targets = append(targets, client.ObjectKeyFromObject(&item))
		}
	}

	patch, err := requestPatch(time.Now())
	if err != nil {
		return err
	}
	failed := 0
	for _, key := range targets {
		obj := &certv1.ModelCertification{}
		obj.Namespace, obj.Name = key.Namespace, key.Name
		if err := c.Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch)); err != nil {
			fmt.Fprintf(o.ErrOut, "error: %v\n", err)
			failed++
			continue
		}
		where := ""
		if allNamespaces {
			where = " in namespace " + obj.Namespace
		}
		fmt.Fprintf(o.Out, "%s/%s rerun requested%s\n", resource, obj.Name, where)
		if obj.Spec.Suspend {
			warn(o.ErrOut, "%s/%s is suspended: no run starts while spec.suspend is true", resource, obj.Name)
		}
	}
	if failed > 0 {
		return fmt.Errorf("rerun: %d of %d ModelCertifications not requested", failed, len(targets))
	}
	return nil
}

// requestPatch is the merge patch that sets the requested-at annotation to now, in UTC with
// nanoseconds, so that every request is a new value.
func requestPatch(now time.Time) ([]byte, error) {
	return json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{
		certv1.RequestedAtAnnotation: now.UTC().Format(time.RFC3339Nano),
	}}})
}

// noResources is kubectl's message for an empty list.
func noResources(ns string, allNamespaces bool) string {
	if allNamespaces {
		return "No resources found"
	}
	return fmt.Sprintf("No resources found in %s namespace.", ns)
}
