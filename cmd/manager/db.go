package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/controllers"
	"github.com/modelcert/modelcert-operator/internal/store"
)

// databaseURLEnv is where the DSN comes from when --database-url is not given, typically a Secret.
const databaseURLEnv = "MODELCERT_DATABASE_URL"

// databaseFlags are the flags every command that talks to PostgreSQL shares.
type databaseFlags struct {
	url          string
	maxConns     int
	queryTimeout time.Duration
}

func (d *databaseFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&d.url, "database-url", os.Getenv(databaseURLEnv),
		"PostgreSQL URL of the mirror (default $"+databaseURLEnv+"); empty turns the mirror off")
	fs.IntVar(&d.maxConns, "db-max-conns", 8, "largest number of database connections")
	fs.DurationVar(&d.queryTimeout, "db-query-timeout", 5*time.Second, "deadline of each database query")
}

func (d *databaseFlags) validate() error {
	switch {
	case d.maxConns < 1:
		return fmt.Errorf("--db-max-conns must be at least 1, got %d", d.maxConns)
	case d.queryTimeout <= 0:
		return fmt.Errorf("--db-query-timeout must be positive, got %s", d.queryTimeout)
	}
	return nil
}

// open connects to the database; its errors name the server with the password masked.
func (d *databaseFlags) open(ctx context.Context) (*store.Store, error) {
	return store.Open(ctx, d.config())
}

// connect returns a store that connects on first use, for a server that may be down now.
func (d *databaseFlags) connect() (*store.Store, error) {
	return store.Connect(d.config())
}

func (d *databaseFlags) config() store.Config {
	return store.Config{URL: d.url, MaxConns: int32(d.maxConns), QueryTimeout: d.queryTimeout}
}

const dbUsage = `usage: manager db check [flags]   compare every ModelCertification's status with its database row
`

// runDB is `manager db`: today its one verb is check, the consistency check, which exits 0 when
// every object's status and its row agree, 1 when any differ (each difference printed), and 2 on
// bad usage.
func runDB(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprint(stderr, "manager db: want a verb\n"+dbUsage)
		return 2
	}
	fs := flag.NewFlagSet("manager db check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var db databaseFlags
	db.bind(fs)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, in-cluster, or ~/.kube/config)")
	namespace := fs.String("namespace", "", "only this namespace's objects and the rows they own (default all)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := db.validate(); err != nil {
		fmt.Fprintf(stderr, "manager db check: %v\n", err)
		return 2
	}
	if db.url == "" {
		fmt.Fprintf(stderr, "manager db check: --database-url (or $%s) is required\n", databaseURLEnv)
		return 2
	}
	diffs, err := checkConsistency(ctx, db, *kubeconfig, *namespace)
	if err != nil {
		fmt.Fprintf(stderr, "manager db check: %s\n", oneLine(err))
		return 1
	}
	faults := 0
	for _, d := range diffs {
		fmt.Fprintln(stdout, d.String())
		if d.Fault() {
			faults++
		}
	}
	if faults > 0 {
		fmt.Fprintf(stdout, "%d difference(s)\n", faults)
		return 1
	}
	fmt.Fprintln(stdout, "status and database agree")
	return 0
}

// oneLine folds a multi-line error (pgx lists each address it tried on a line of its own) into
// the one line a command prints.
func oneLine(err error) string {
	lines := strings.Split(err.Error(), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " ")
}

// checkConsistency lists the objects through the API server and compares them with the rows.
func checkConsistency(ctx context.Context, db databaseFlags, kubeconfig, namespace string) ([]store.Difference, error) {
	cfg, err := kubeConfig(kubeconfig)
	if err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: newScheme()})
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	var list certv1.ModelCertificationList
	if err := c.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("list modelcertifications: %w", err)
	}
	var want []store.Expected
	for i := range list.Items {
		if e, ok := controllers.ExpectedRow(&list.Items[i]); ok {
			want = append(want, e)
		}
	}
	s, err := db.open(ctx)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	diffs, err := s.Check(ctx, want)
	if err != nil {
		return nil, err
	}
	if namespace == "" {
		return diffs, nil
	}
	// Objects of other namespaces were not listed, so their rows look orphaned: keep the
	// differences of this namespace's objects and of rows that name one of them.
	var inNamespace []store.Difference
	for _, d := range diffs {
		if d.Namespace == namespace {
			inNamespace = append(inNamespace, d)
		}
	}
	return inNamespace, nil
}
