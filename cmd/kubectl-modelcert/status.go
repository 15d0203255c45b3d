package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/cli-runtime/pkg/printers"
	"sigs.k8s.io/controller-runtime/pkg/client"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

// listLimit caps each list of the summary so that it fits a screen; -o wide lists all.
const listLimit = 10

func newStatusCommand(o *options) *cobra.Command {
	var output string
	var allNamespaces bool
	var expiringWithin time.Duration
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Summarise the ModelCertifications of a namespace: phases, expiring verdicts, regressions",
		Long: `Summarise the ModelCertifications of the namespace (or, with -A, of every namespace), one
row per namespace: how many are in each phase, how many certified verdicts expire within
--expiring-within or have expired, and how many regressed. Below the table it lists the
expiring verdicts and the regressions, at most 10 of each (-o wide lists all).`,
		Example: `  kubectl modelcert status -n models
  kubectl modelcert status -A --expiring-within 72h
  kubectl modelcert status -A -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := validateOutput(output); err != nil {
				return err
			}
			if expiringWithin <= 0 {
				return fmt.Errorf("--expiring-within must be positive, got %s", expiringWithin)
			}
			return status(cmd.Context(), o, allNamespaces, expiringWithin, output)
		},
	}
	addOutputFlag(cmd, &output, "lists every expiring verdict and regression")
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "summarise every namespace")
	cmd.Flags().DurationVar(&expiringWithin, "expiring-within", 24*time.Hour,
		"count a certified verdict as expiring soon when its validUntil falls within this time from now")
	return cmd
}

func status(ctx context.Context, o *options, allNamespaces bool, expiringWithin time.Duration, output string) error {
	c, err := o.client()
	if err != nil {
		return err
	}
	var opts []client.ListOption
	ns := ""
	if !allNamespaces {
		if ns, err = o.namespace(); err != nil {
			return err
		}
		opts = append(opts, client.InNamespace(ns))
	}
	var list certv1.ModelCertificationList
	if err := c.List(ctx, &list, opts...); err != nil {
		return fmt.Errorf("list modelcertifications: %w", err)
	}
	now := time.Now()
	summaries := summarise(list.Items, now, expiringWithin)
	if structured(output) {
		return printStructured(o.Out, output, summaries)
	}
	if len(summaries) == 0 {
		fmt.Fprintln(o.ErrOut, noResources(ns, allNamespaces))
		return nil
	}
	return printSummaries(o.Out, summaries, now, expiringWithin, output == outputWide)
}

// phases are the status phases in the order of a run.
var phases = []certv1.Phase{certv1.PhasePending, certv1.PhaseProcessing, certv1.PhaseCertified,
	certv1.PhaseQualityWarning, certv1.PhaseFailed}

// namespaceSummary is one namespace's certifications at a glance.
type namespaceSummary struct {
	Namespace string `json:"namespace"`
	Total     int    `json:"total"`
	// Phases counts the objects by status.phase, every phase present; an object the operator
	// has not seen yet counts as Pending.
	Phases map[certv1.Phase]int `json:"phases"`
	// Expiring are the certified verdicts whose validUntil falls within the window, soonest first.
	Expiring []expiring `json:"expiring"`
	// Expired counts the certified verdicts whose validUntil has passed.
	Expired int `json:"expired"`
	// Regressions are the objects whose status.regression is set, latest first.
	Regressions []regressed `json:"regressions"`
}

type expiring struct {
	Name       string    `json:"name"`
	Badge      string    `json:"badge"`
	ValidUntil time.Time `json:"validUntil"`
}

type regressed struct {
	Name string `json:"name"`
	// Phase and Badge are the current verdict; the regression holds the one before.
	Phase      certv1.Phase      `json:"phase"`
	Badge      string            `json:"badge"`
	Regression certv1.Regression `json:"regression"`
}

// summarise groups objects by namespace, in name order, and counts them at now.
func summarise(items []certv1.ModelCertification, now time.Time, expiringWithin time.Duration) []namespaceSummary {
	byNamespace := map[string]*namespaceSummary{}
	var order []string
	for i := range items {
		obj := &items[i]
		sum, ok := byNamespace[obj.Namespace]
		if !ok {
			sum = &namespaceSummary{Namespace: obj.Namespace, Phases: map[certv1.Phase]int{},
				Expiring: []expiring{}, Regressions: []regressed{}}
			for _, p := range phases {
				sum.Phases[p] = 0
			}
			byNamespace[obj.Namespace] = sum
			order = append(order, obj.Namespace)
		}
		s := &obj.Status
		sum.Total++
		sum.Phases[phaseOrPending(s.Phase)]++
		if s.Passed && s.ValidUntil != nil {
			switch until := s.ValidUntil.Time; {
			case !now.Before(until):
				sum.Expired++
			case !until.After(now.Add(expiringWithin)):
				sum.Expiring = append(sum.Expiring, expiring{Name: obj.Name, Badge: s.Badge, ValidUntil: until.UTC()})
			}
		}
		if s.Regression != nil {
			sum.Regressions = append(sum.Regressions, regressed{Name: obj.Name, Phase: s.Phase, Badge: s.Badge,
				Regression: *s.Regression})
		}
	}
	slices.Sort(order)
	summaries := make([]namespaceSummary, 0, len(order))
	for _, ns := range order {
		sum := byNamespace[ns]
		slices.SortStableFunc(sum.Expiring, func(a, b expiring) int { return a.ValidUntil.Compare(b.ValidUntil) })
		slices.SortStableFunc(sum.Regressions, func(a, b regressed) int { return b.Regression.At.Compare(a.Regression.At.Time) })
		summaries = append(summaries, *sum)
	}
	return summaries
}

// printSummaries writes the table of namespaces, then the expiring verdicts and the regressions.
func printSummaries(w io.Writer, summaries []namespaceSummary, now time.Time, expiringWithin time.Duration, wide bool) error {
	tw := printers.GetNewTabWriter(w)
	header := []string{"NAMESPACE", "TOTAL"}
	for _, p := range phases {
		header = append(header, strings.ToUpper(string(p)))
	}
	header = append(header, "EXPIRING", "EXPIRED", "REGRESSED")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	var expiringRows, regressionRows []string
	for _, sum := range summaries {
		row := []string{sum.Namespace, fmt.Sprint(sum.Total)}
		for _, p := range phases {
			row = append(row, fmt.Sprint(sum.Phases[p]))
		}
		row = append(row, fmt.Sprint(len(sum.Expiring)), fmt.Sprint(sum.Expired), fmt.Sprint(len(sum.Regressions)))
		fmt.Fprintln(tw, strings.Join(row, "\t"))
		for _, e := range sum.Expiring {
			expiringRows = append(expiringRows, strings.Join([]string{sum.Namespace, e.Name, e.Badge,
				e.ValidUntil.Format(time.RFC3339), duration.HumanDuration(e.ValidUntil.Sub(now))}, "\t"))
		}
		for _, r := range sum.Regressions {
			regressionRows = append(regressionRows, strings.Join([]string{sum.Namespace, r.Name,
				verdictName(r.Regression.FromPhase, r.Regression.FromBadge), verdictName(r.Phase, r.Badge),
				orNone(strings.Join(r.Regression.Checks, ",")), r.Regression.At.UTC().Format(time.RFC3339)}, "\t"))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := printList(w, fmt.Sprintf("Expiring within %s:", shortDuration(expiringWithin)),
		"NAMESPACE\tNAME\tBADGE\tVALID-UNTIL\tIN", expiringRows, wide); err != nil {
		return err
	}
	return printList(w, "Regressions:", "NAMESPACE\tNAME\tFROM\tNOW\tCHECKS\tAT", regressionRows, wide)
}

// printList writes a titled table after a blank line, capped at listLimit rows unless wide.
func printList(w io.Writer, title, header string, rows []string, wide bool) error {
	if len(rows) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\n%s\n", title)
	tw := printers.GetNewTabWriter(w)
	fmt.Fprintln(tw, header)
	shown := rows
	if !wide && len(rows) > listLimit {
		shown = rows[:listLimit]
	}
	for _, row := range shown {
		fmt.Fprintln(tw, row)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(shown) < len(rows) {
		fmt.Fprintf(w, "... and %d more (-o wide lists all)\n", len(rows)-len(shown))
	}
	return nil
}

// verdictName is a verdict as Phase/BADGE.
func verdictName(phase certv1.Phase, badge string) string {
	if badge == "" {
		return string(phaseOrPending(phase))
	}
	return string(phaseOrPending(phase)) + "/" + badge
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// shortDuration writes 24h0m0s as 24h.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
