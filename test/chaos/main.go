// Command chaos certifies a few hundred ModelCertifications through the real manager binary while
// the manager is SIGKILLed, PostgreSQL crashes for a while, the table is truncated and users edit
// and delete objects, then checks the state of the world: every object settled, status and rows
// agree, no orphan or lost row, history consistent, no credential anywhere, few status writes
// during the outage. `make chaos` runs it; it exits 1 when any assertion fails.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type config struct {
	root, managerBin, simBin, assets string
	seed                             uint64
	objects, rounds, kills           int
	outage, latency, timeout         time.Duration
	managerArgs                      []string
	keep                             bool
}

func main() {
	os.Exit(run())
}

func run() int {
	cfg, err := parseFlags()
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "chaos: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	dir, err := os.MkdirTemp("", "modelcert-chaos-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "chaos: %v\n", err)
		return 1
	}
	w, err := setUp(ctx, cfg, dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "chaos: set up: %v\n", err)
		return 1
	}
	failed := w.play(ctx)
	w.tearDown()
	if cfg.keep || failed {
		fmt.Printf("logs kept in %s (manager.log, simulator.log, audit.log)\n", dir)
	} else {
		os.RemoveAll(dir)
	}
	if failed {
		fmt.Printf("\nCHAOS FAILED (seed %d): rerun with CHAOS_SEED=%d\n", cfg.seed, cfg.seed)
		return 1
	}
	fmt.Printf("\nCHAOS PASSED (seed %d)\n", cfg.seed)
	return 0
}

func parseFlags() (config, error) {
	var c config
	seed := os.Getenv("CHAOS_SEED")
	if seed == "" {
		seed = strconv.FormatInt(time.Now().UnixNano()%1_000_000, 10)
	}
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.StringVar(&c.root, "root", ".", "the repository checkout (for hack/postgres.sh and the CRDs)")
	fs.StringVar(&c.managerBin, "manager", "bin/manager", "the manager binary")
	fs.StringVar(&c.simBin, "simulator", "bin/bedrock-sim", "the bedrock-sim binary")
	fs.StringVar(&c.assets, "assets", os.Getenv("KUBEBUILDER_ASSETS"), "folder of kube-apiserver, etcd and kubectl (default $KUBEBUILDER_ASSETS)")
	seedFlag := fs.String("seed", seed, "seed of the random fault schedule (default $CHAOS_SEED, else the clock)")
	fs.IntVar(&c.objects, "objects", 200, "certifications in flight")
	fs.IntVar(&c.rounds, "rounds", 2, "how many times the faults are applied")
	fs.IntVar(&c.kills, "kills", 5, "manager SIGKILLs per round while runs are in flight (one more per round during the outage)")
	fs.DurationVar(&c.outage, "outage", 20*time.Second, "how long PostgreSQL is down per round")
	fs.DurationVar(&c.latency, "latency", 200*time.Millisecond, "the simulator's fixed latency per model call")
	fs.DurationVar(&c.timeout, "timeout", 14*time.Minute, "the whole run's deadline")
	fs.BoolVar(&c.keep, "keep", false, "keep the logs and audit log when the run passes")
	managerArgs := fs.String("manager-args", os.Getenv("CHAOS_MANAGER_ARGS"), "extra manager flags, space-separated (default $CHAOS_MANAGER_ARGS)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return c, err
	}
	var err error
	if c.seed, err = strconv.ParseUint(*seedFlag, 10, 64); err != nil {
		return c, fmt.Errorf("--seed %q: want a non-negative integer", *seedFlag)
	}
	c.managerArgs = strings.Fields(*managerArgs)
	switch {
	case c.assets == "":
		return c, errors.New("--assets (or $KUBEBUILDER_ASSETS) is required: hack/control-plane.sh prints it")
	case c.objects < 40:
		return c, fmt.Errorf("--objects %d: want at least 40, the outage alone edits and deletes 30", c.objects)
	case c.rounds < 1 || c.kills < 0:
		return c, errors.New("--rounds must be at least 1 and --kills at least 0")
	case c.outage < 15*time.Second:
		return c, fmt.Errorf("--outage %s: want at least 15s, the schedule inside it needs 12s", c.outage)
	}
	for _, p := range []*string{&c.root, &c.managerBin, &c.simBin} {
		if *p, err = filepath.Abs(*p); err != nil {
			return c, err
		}
	}
	return c, nil
}

// pick draws n distinct items from xs.
func pick[T any](rng *rand.Rand, xs []T, n int) (chosen, rest []T) {
	xs = append([]T(nil), xs...)
	rng.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
	n = min(n, len(xs))
	return xs[:n], xs[n:]
}
