package main

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// settleLimit bounds every wait for the world to settle.
const settleLimit = 3 * time.Minute

// outageWindow is what one round's database outage touched: the objects the harness edited or
// deleted in or around it, the edits to be honoured while the database was down, and when.
type outageWindow struct {
	start, end        time.Time
	touched           map[string]bool
	honouredDuringOut []string
}

// play runs the rounds and the assertions, printing each; it reports whether any failed.
func (w *world) play(ctx context.Context) bool {
	for round := 1; round <= w.cfg.rounds; round++ {
		fmt.Printf("\n== round %d\n", round)
		out, err := w.round(ctx, round)
		if err != nil {
			w.record(fmt.Sprintf("round %d ran to the end", round), []string{err.Error()})
			break
		}
		w.assertRound(ctx, round, out)
	}
	w.assertNoCredentials(ctx)
	fmt.Printf("\n== faults applied\n")
	for _, f := range w.faults {
		fmt.Println("  " + f)
	}
	fmt.Printf("\n== assertions\n")
	failed := false
	for _, r := range w.results {
		status := "PASS"
		if !r.ok {
			status, failed = "FAIL", true
		}
		fmt.Printf("  %s  %s\n", status, r.name)
		for i, d := range r.details {
			if i == 10 {
				fmt.Printf("          … and %d more\n", len(r.details)-10)
				break
			}
			fmt.Printf("          %s\n", d)
		}
	}
	fmt.Printf("  manager: %d starts, %d exits it was not asked for\n", w.mgr.Starts, w.mgr.Crashes)
	return failed
}

// round applies one round of faults: runs in flight under manager kills and a truncation, then a
// database outage with edits, deletions and one more kill, then deletions after it.
func (w *world) round(ctx context.Context, round int) (outageWindow, error) {
	var out outageWindow
	// In flight: round 1 creates the objects, later rounds edit every live one and replace
	// the deleted ones, so that cfg.objects runs are in flight again.
	var work []func() error
	live := w.live()
	for _, name := range live {
		if round > 1 {
			work = append(work, func() error { return w.edit(ctx, name) })
		}
	}
	for i := range w.cfg.objects - len(live) {
		name := fmt.Sprintf("mc-r%d-%03d", round, i)
		work = append(work, func() error { return w.create(ctx, name) })
	}
	w.fault("round %d: %d certifications put in flight (creates and spec edits)", round, len(work))
	if err := parallel(work); err != nil {
		return out, err
	}
	inFlight := time.Now()
	// Kills at random moments of the next 10 s, at least a second apart; one truncation.
	var at []time.Duration
	for range w.cfg.kills {
		at = append(at, time.Duration(500+w.rng.IntN(9500))*time.Millisecond)
	}
	sort.Slice(at, func(i, j int) bool { return at[i] < at[j] })
	for i := 1; i < len(at); i++ {
		at[i] = max(at[i], at[i-1]+time.Second)
	}
	truncateAt := time.Duration(1000+w.rng.IntN(7000)) * time.Millisecond
	truncated := false
	for _, offset := range at {
		if !truncated && truncateAt < offset {
			if err := w.truncate(ctx, inFlight, truncateAt); err != nil {
				return out, err
			}
			truncated = true
		}
		if err := sleepUntil(ctx, inFlight.Add(offset)); err != nil {
			return out, err
		}
		if err := w.mgr.Kill(); err != nil {
			return out, err
		}
		w.fault("manager SIGKILLed and started again (pid %d)", w.mgr.PID())
	}
	if !truncated {
		if err := w.truncate(ctx, inFlight, truncateAt); err != nil {
			return out, err
		}
	}
	took, left, err := w.waitSettled(ctx, settleLimit)
	if err != nil {
		return out, err
	}
	if len(left) > 0 {
		w.record(fmt.Sprintf("round %d: runs in flight settle after the kills", round), left)
	}
	fmt.Printf("  in-flight runs settled %.1fs after the kills\n", took.Seconds())

	// The outage, with its schedule relative to its start.
	live = w.live()
	edits1, rest := pick(w.rng, live, 8)
	deletes, rest := pick(w.rng, rest, 6)
	editDeletes, rest := pick(w.rng, rest, 4)
	edits2, rest := pick(w.rng, rest, 6)
	afterDeletes, rest := pick(w.rng, rest, 4)
	afterEditDeletes, _ := pick(w.rng, rest, 2)
	lateDeletes, _ := pick(w.rng, edits1, 3)
	out.touched = map[string]bool{}
	for _, set := range [][]string{edits1, deletes, editDeletes, edits2, afterDeletes, afterEditDeletes} {
		for _, name := range set {
			out.touched[name] = true
		}
	}
	out.honouredDuringOut = append(slices.Clone(edits1), edits2...)
	out.honouredDuringOut = slices.DeleteFunc(out.honouredDuringOut, func(n string) bool { return slices.Contains(lateDeletes, n) })

	out.start = time.Now()
	if err := w.pg.Crash(); err != nil {
		return out, err
	}
	w.fault("PostgreSQL stopped (pg_ctl stop -m immediate) for %s", w.cfg.outage)
	steps := []struct {
		at   time.Duration
		what string
		do   func() error
	}{
		{time.Second, fmt.Sprintf("%d specs edited during the outage", len(edits1)), func() error { return w.each(edits1, w.edit) }},
		{time.Second, "deleted during the outage: " + w.describeDeletes(deletes), func() error { return w.each(deletes, w.remove) }},
		{time.Second, "edited, then at once deleted during the outage: " + w.describeDeletes(editDeletes),
			func() error { return w.each(editDeletes, w.editThenRemove) }},
		{8 * time.Second, "manager SIGKILLed during the outage", w.mgr.Kill},
		{10 * time.Second, fmt.Sprintf("%d specs edited after the crash, database still down", len(edits2)),
			func() error { return w.each(edits2, w.edit) }},
		{12 * time.Second, "deleted during the outage after their edit's verdict: " + w.describeDeletes(lateDeletes),
			func() error { return w.each(lateDeletes, w.remove) }},
	}
	for _, s := range steps {
		if err := sleepUntil(ctx, out.start.Add(s.at)); err != nil {
			return out, err
		}
		if err := s.do(); err != nil {
			return out, err
		}
		w.fault("%s", s.what)
	}
	if err := sleepUntil(ctx, out.start.Add(w.cfg.outage)); err != nil {
		return out, err
	}
	if err := w.pg.Resume(); err != nil {
		return out, err
	}
	out.end = time.Now()
	w.fault("PostgreSQL started again")

	if err := sleepUntil(ctx, out.end.Add(3*time.Second)); err != nil {
		return out, err
	}
	if err := w.each(afterDeletes, w.remove); err != nil {
		return out, err
	}
	w.fault("deleted after the outage: %s", w.describeDeletes(afterDeletes))
	if err := w.each(afterEditDeletes, w.editThenRemove); err != nil {
		return out, err
	}
	w.fault("edited, then at once deleted after the outage: %s", w.describeDeletes(afterEditDeletes))
	took, left, err = w.waitSettled(ctx, settleLimit)
	if err != nil {
		return out, err
	}
	fmt.Printf("  settled %.1fs after the last deletion\n", took.Seconds())
	if len(left) > 0 {
		w.record(fmt.Sprintf("round %d: every object settles after the outage", round), left)
	}
	return out, nil
}

func (w *world) truncate(ctx context.Context, from time.Time, at time.Duration) error {
	if err := sleepUntil(ctx, from.Add(at)); err != nil {
		return err
	}
	conn, err := w.pg.Connect(ctx)
	if err != nil {
		return fmt.Errorf("truncate: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "TRUNCATE model_certifications"); err != nil {
		return fmt.Errorf("truncate: %w", err)
	}
	w.mu.Lock()
	for _, t := range w.objects {
		t.rowTruncated = t.rowTruncated || t.deleted()
	}
	w.mu.Unlock()
	w.fault("model_certifications truncated")
	return nil
}

func (w *world) editThenRemove(ctx context.Context, name string) error {
	if err := w.edit(ctx, name); err != nil {
		return err
	}
	return w.remove(ctx, name)
}

// each applies fn to every name, in parallel.
func (w *world) each(names []string, fn func(context.Context, string) error) error {
	work := make([]func() error, len(names))
	for i, name := range names {
		work[i] = func() error { return fn(context.Background(), name) }
	}
	return parallel(work)
}

func (w *world) describeDeletes(names []string) string {
	byPolicy := map[string]int{}
	for _, n := range names {
		byPolicy[string(w.policyOf(n))]++
	}
	return fmt.Sprintf("%d (Retain %d, Delete %d)", len(names), byPolicy["Retain"], byPolicy["Delete"])
}

// parallel runs the work on 8 workers and returns the first error.
func parallel(work []func() error) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     = make(chan func() error)
	)
	for range 8 {
		wg.Go(func() {
			for fn := range next {
				if err := fn(); err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, fn := range work {
		next <- fn
	}
	close(next)
	wg.Wait()
	return firstErr
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func (w *world) record(name string, details []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.results = append(w.results, result{name: name, ok: len(details) == 0, details: details})
}
