package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/test/harness"
)

// convergeLimit bounds the wait for the database to agree with the objects once they settled:
// longer than one --mirror-resync, so a truncated table has its chance to come back.
const convergeLimit = 60 * time.Second

// outageWriteBudget is the status writes an untouched object may cost in an outage: to
// DatabaseSynced=False and back. An edited one may add its run's writes (start, one progress,
// verdict).
const (
	outageWriteBudget    = 2
	outageRunWriteBudget = 3
)

func (w *world) assertRound(ctx context.Context, round int, out outageWindow) {
	prefix := fmt.Sprintf("round %d: ", round)

	// The database trails the objects: give it until convergeLimit to agree, then judge.
	deadline := time.Now().Add(convergeLimit)
	var rows, history []string
	var dbErr error
	for {
		rows, history, dbErr = w.checkRows(ctx)
		if dbErr == nil && len(rows) == 0 && len(history) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	if dbErr != nil {
		rows = append(rows, dbErr.Error())
	}
	converged := time.Now()
	w.record(prefix+"rows: no orphan row, no lost row, Delete rows gone, Retain rows marked deleted", rows)
	w.record(prefix+"history: every current verdict row has its certification_runs row, same status", history)
	w.record(prefix+"`manager db check` exits 0", w.dbCheck(ctx))
	w.assertOutageWrites(prefix, out, converged)
	w.assertHonoured(prefix, out)
}

// dbCheck runs `manager db check` and returns its output when it does not exit 0.
func (w *world) dbCheck(ctx context.Context) []string {
	cmd := exec.CommandContext(ctx, w.cfg.managerBin, "db", "check", "--kubeconfig", w.cp.AdminKubeconfig,
		"--database-url", w.pg.URL)
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return append([]string{fmt.Sprintf("exit: %v", err)}, lines...)
}

type row struct {
	model, region, status, runID, uid, name string
	deleted                                 bool
}

// checkRows compares model_certifications and certification_runs with what the harness did and
// saw: it returns the row problems and the history problems.
func (w *world) checkRows(ctx context.Context) (rowProblems, historyProblems []string, err error) {
	conn, err := w.pg.Connect(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	rows, err := queryRows(ctx, conn)
	if err != nil {
		return nil, nil, err
	}
	history := map[string]string{}
	hr, err := conn.Query(ctx, "SELECT run_id, status FROM certification_runs")
	if err != nil {
		return nil, nil, fmt.Errorf("read certification_runs: %w", err)
	}
	for hr.Next() {
		var id, status string
		if err := hr.Scan(&id, &status); err != nil {
			return nil, nil, err
		}
		history[id] = status
	}
	if err := hr.Err(); err != nil {
		return nil, nil, err
	}
	objs, err := w.obs.List(ctx)
	if err != nil {
		return nil, nil, err
	}
	liveByUID := map[string]*certv1.ModelCertification{}
	for i := range objs {
		liveByUID[string(objs[i].UID)] = &objs[i]
	}
	rowByUID := map[string]row{}
	for _, r := range rows {
		rowByUID[r.uid] = r
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	byUID := map[string]*tracked{}
	for _, t := range w.objects {
		byUID[string(t.uid)] = t
	}
	p := func(format string, args ...any) { rowProblems = append(rowProblems, fmt.Sprintf(format, args...)) }
	for _, r := range rows {
		t := byUID[r.uid]
		switch {
		case t == nil:
			p("orphan row %s/%s: status %s, run %s, source %s (uid %s) was never an object here", r.model, r.region, r.status, r.runID, r.name, r.uid)
		case !t.deleted():
		case t.policy == certv1.DeletionPolicyDelete:
			p("orphan row %s/%s of %s (deletionPolicy Delete, deleted): status %s, run %s, deleted_at set %v", r.model, r.region, t.name, r.status, r.runID, r.deleted)
		case !r.deleted:
			p("orphan row %s/%s of %s (deletionPolicy Retain, deleted): deleted_at not set, status %s, run %s", r.model, r.region, t.name, r.status, r.runID)
		}
	}
	for _, t := range w.objects {
		r, hasRow := rowByUID[string(t.uid)]
		obj := liveByUID[string(t.uid)]
		switch {
		case !t.deleted() && obj == nil:
			p("%s: not deleted by the harness but gone from the API server", t.name)
		case !t.deleted():
			want := harness.DBStatus(obj.Status.Phase)
			if !hasRow {
				p("lost row: %s (%s/%s) has no row; status %s, run %s", t.name, t.pair.Model, t.pair.Region, want, obj.Status.RunID)
			} else if r.runID != obj.Status.RunID || r.status != want || r.deleted {
				p("stale row: %s has run %s %s (deleted_at set %v), status says run %s %s", t.name, r.runID, r.status, r.deleted, obj.Status.RunID, want)
			}
		case t.deletedWithVerdict == "" || t.rowTruncated:
			// Deleted before any verdict, or its row truncated since: a row, if any, was
			// judged above.
		case t.policy == certv1.DeletionPolicyRetain && !hasRow:
			p("lost verdict: %s (Retain) was deleted holding verdict run %s; no row is left", t.name, t.deletedWithVerdict)
		case t.policy == certv1.DeletionPolicyRetain && certv1Rank(r.status) < 2:
			p("lost verdict: %s (Retain) was deleted holding verdict run %s; its row says %s run %s", t.name, t.deletedWithVerdict, r.status, r.runID)
		}
		if t.deleted() && t.deletedWithVerdict != "" {
			if _, ok := history[t.deletedWithVerdict]; !ok {
				historyProblems = append(historyProblems, fmt.Sprintf("lost history: %s was deleted holding verdict run %s, which certification_runs lacks", t.name, t.deletedWithVerdict))
			}
		}
	}
	for _, r := range rows {
		if certv1Rank(r.status) < 2 {
			continue
		}
		if got, ok := history[r.runID]; !ok {
			historyProblems = append(historyProblems, fmt.Sprintf("row %s/%s (%s): run %s %s has no certification_runs row", r.model, r.region, r.name, r.runID, r.status))
		} else if got != r.status {
			historyProblems = append(historyProblems, fmt.Sprintf("row %s/%s (%s): run %s is %s, certification_runs says %s", r.model, r.region, r.name, r.runID, r.status, got))
		}
	}
	sort.Strings(rowProblems)
	sort.Strings(historyProblems)
	return rowProblems, historyProblems, nil
}

func certv1Rank(status string) int {
	switch status {
	case "PENDING":
		return 0
	case "PROCESSING":
		return 1
	}
	return 2
}

func queryRows(ctx context.Context, conn *pgx.Conn) ([]row, error) {
	rs, err := conn.Query(ctx, `SELECT model_id, region, status, run_id, source_uid, source_name, deleted_at IS NOT NULL
		FROM model_certifications`)
	if err != nil {
		return nil, fmt.Errorf("read model_certifications: %w", err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.model, &r.region, &r.status, &r.runID, &r.uid, &r.name, &r.deleted); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// assertOutageWrites counts, from the audit log, the manager's status writes per object from the
// start of the outage until the database agreed again.
func (w *world) assertOutageWrites(prefix string, out outageWindow, until time.Time) {
	writes, err := harness.CountWrites(w.cp.AuditLog, namespace, out.start, until)
	if err != nil {
		w.record(prefix+"status writes during the outage", []string{err.Error()})
		return
	}
	var problems []string
	maxUntouched, maxTouched, untouched := 0, 0, 0
	for _, name := range w.live() {
		n := writes.StatusPerObject[name]
		if out.touched[name] {
			maxTouched = max(maxTouched, n)
			if n > outageWriteBudget+outageRunWriteBudget {
				problems = append(problems, fmt.Sprintf("%s (edited in the outage): %d status writes", name, n))
			}
			continue
		}
		untouched++
		maxUntouched = max(maxUntouched, n)
		if n > outageWriteBudget {
			problems = append(problems, fmt.Sprintf("%s: %d status writes", name, n))
		}
	}
	sort.Slice(problems, func(i, j int) bool { return len(problems[i]) > len(problems[j]) || problems[i] > problems[j] })
	summary := fmt.Sprintf("outage + catch-up (%.0fs): %d status writes in all, %d object writes, %d Events, %d conflicts; max per untouched object %d (%d objects), per edited object %d",
		until.Sub(out.start).Seconds(), writes.Status, writes.Object, writes.Events, writes.Conflicts, maxUntouched, untouched, maxTouched)
	fmt.Println("  " + summary)
	if len(problems) > 0 {
		problems = append([]string{summary}, problems...)
	}
	w.record(fmt.Sprintf("%sstatus writes per object during the outage ≤ %d (≤ %d with its own run)", prefix,
		outageWriteBudget, outageWriteBudget+outageRunWriteBudget), problems)
}

// assertHonoured checks that the spec edits made while the database was down were each certified
// within one run time: twice the median run duration plus two seconds of scheduling.
func (w *world) assertHonoured(prefix string, out outageWindow) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var durations []int64
	for _, t := range w.objects {
		if t.durationMs > 0 {
			durations = append(durations, t.durationMs)
		}
	}
	slices.Sort(durations)
	median := time.Second
	if len(durations) > 0 {
		median = time.Duration(durations[len(durations)/2]) * time.Millisecond
	}
	budget := 2*median + 2*time.Second
	var problems []string
	var slowest time.Duration
	for _, name := range out.honouredDuringOut {
		t := w.objects[name]
		at, ok := t.settledAt[t.gen]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: generation %d (edited %s) never settled", name, t.gen, t.lastEdit.Format(time.TimeOnly)))
		case at.Sub(t.lastEdit) > budget:
			problems = append(problems, fmt.Sprintf("%s: generation %d certified %.1fs after its edit (database back %.1fs after the edit)",
				name, t.gen, at.Sub(t.lastEdit).Seconds(), out.end.Sub(t.lastEdit).Seconds()))
		}
		if ok {
			slowest = max(slowest, at.Sub(t.lastEdit))
		}
	}
	fmt.Printf("  edits in the outage: slowest certified %.1fs after its edit (budget %.1fs = 2 × median run %.1fs + 2s)\n",
		slowest.Seconds(), budget.Seconds(), median.Seconds())
	w.results = append(w.results, result{name: fmt.Sprintf("%sspec edits during the outage certified within one run time (≤ %.1fs)", prefix, budget.Seconds()),
		ok: len(problems) == 0, details: problems})
}

// assertNoCredentials looks for the canary credentials in statuses, Events, logs and tables.
func (w *world) assertNoCredentials(ctx context.Context) {
	var places []struct {
		name string
		data []byte
	}
	add := func(name string, data []byte, err error) {
		if err != nil {
			data = append(data, []byte("\n(read error: "+err.Error()+")")...)
		}
		places = append(places, struct {
			name string
			data []byte
		}{name, data})
	}
	for _, resource := range []string{"modelcertifications", "events"} {
		out, err := exec.CommandContext(ctx, w.cp.Kubectl, "--kubeconfig", w.cp.AdminKubeconfig,
			"get", resource, "-n", namespace, "-o", "json").Output()
		add("kubectl get "+resource, out, err)
	}
	for _, f := range []string{"manager.log", "simulator.log"} {
		data, err := os.ReadFile(filepath.Join(w.dir, f))
		add(f, data, err)
	}
	conn, err := w.pg.Connect(ctx)
	if err == nil {
		for _, table := range []string{"model_certifications", "certification_runs"} {
			var dump bytes.Buffer
			rs, qerr := conn.Query(ctx, "SELECT t::text FROM "+table+" t")
			if qerr == nil {
				for rs.Next() {
					var line string
					if qerr = rs.Scan(&line); qerr != nil {
						break
					}
					dump.WriteString(line + "\n")
				}
				rs.Close()
			}
			add("table "+table, dump.Bytes(), qerr)
		}
		conn.Close(context.Background())
	} else {
		add("tables", nil, err)
	}
	var problems []string
	for _, place := range places {
		if bytes.Contains(place.data, []byte("(read error:")) {
			problems = append(problems, place.name+": could not be read")
		}
		for key, value := range canaries {
			if n := bytes.Count(place.data, []byte(value)); n > 0 {
				problems = append(problems, fmt.Sprintf("%s: %s appears %d times", place.name, key, n))
			}
		}
	}
	sort.Strings(problems)
	w.record("no credential in statuses, Events, manager and simulator logs, tables", problems)
}
