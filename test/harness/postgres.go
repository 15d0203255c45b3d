package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a throwaway PostgreSQL server started by hack/postgres.sh, which the harness can
// crash and bring back.
type Postgres struct {
	// ServerURL is the server's postgres database; URL is the manager's database, Database.
	ServerURL string
	URL       string
	Database  string

	root, dir string
}

// StartPostgres starts a server in dir and creates the database name.
func StartPostgres(ctx context.Context, root, dir, name string) (*Postgres, error) {
	out, err := exec.CommandContext(ctx, filepath.Join(root, "hack", "postgres.sh"), "start", dir).Output()
	if err != nil {
		return nil, fmt.Errorf("hack/postgres.sh start: %w", err)
	}
	p := &Postgres{ServerURL: strings.TrimSpace(string(out)), Database: name, root: root, dir: dir}
	p.URL = strings.Replace(p.ServerURL, "/postgres?", "/"+name+"?", 1)
	conn, err := pgx.Connect(ctx, p.ServerURL)
	if err != nil {
		return nil, p.stopAfter(fmt.Errorf("connect: %w", err))
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, p.stopAfter(fmt.Errorf("create database: %w", err))
	}
	return p, nil
}

func (p *Postgres) stopAfter(err error) error {
	p.Stop()
	return err
}

// Stop stops the server and removes its files.
func (p *Postgres) Stop() {
	_ = exec.Command(filepath.Join(p.root, "hack", "postgres.sh"), "stop", p.dir).Run()
}

// Crash stops the server at once, as a crash would: open connections break, and nothing
// answers until Resume.
func (p *Postgres) Crash() error { return p.pgCtl("stop", "-m", "immediate", "-w") }

// Resume starts the server again with the options it was started with (pg_ctl restart reads
// them from postmaster.opts) and waits until it accepts connections.
func (p *Postgres) Resume() error {
	return p.pgCtl("restart", "-w", "-t", "60", "-l", filepath.Join(p.dir, "server.log"))
}

func (p *Postgres) pgCtl(args ...string) error {
	pgCtl, err := findPgCtl()
	if err != nil {
		return err
	}
	args = append([]string{"-D", filepath.Join(p.dir, "data")}, args...)
	cmd := exec.Command(pgCtl, args...)
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root; hack/postgres.sh gave the data to this user.
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", pgCtl}, args...)...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl %s: %w: %s", args[2], err, strings.TrimSpace(string(out)))
	}
	return nil
}

func findPgCtl() (string, error) {
	if path, err := exec.LookPath("pg_ctl"); err == nil {
		return path, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(matches) == 0 {
		return "", fmt.Errorf("pg_ctl not found")
	}
	return matches[len(matches)-1], nil
}

// DBStats is what PostgreSQL itself counts for one database.
type DBStats struct {
	// Transactions is xact_commit + xact_rollback: with autocommit, one per statement the
	// client sent outside an explicit transaction.
	Transactions int64
	// RowWrites is tup_inserted + tup_updated + tup_deleted.
	RowWrites int64
}

// Sub is the difference s - o.
func (s DBStats) Sub(o DBStats) DBStats {
	return DBStats{Transactions: s.Transactions - o.Transactions, RowWrites: s.RowWrites - o.RowWrites}
}

// Stats reads pg_stat_database for the manager's database through a connection to another
// database, so the reading itself is not counted. Counters reach the view when a backend
// flushes them (at most a second later), so callers wait for the work to end first.
func (p *Postgres) Stats(ctx context.Context) (DBStats, error) {
	conn, err := pgx.Connect(ctx, p.ServerURL)
	if err != nil {
		return DBStats{}, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	var s DBStats
	err = conn.QueryRow(ctx, `SELECT xact_commit + xact_rollback, tup_inserted + tup_updated + tup_deleted
		FROM pg_stat_database WHERE datname = $1`, p.Database).Scan(&s.Transactions, &s.RowWrites)
	if err != nil {
		return DBStats{}, fmt.Errorf("read pg_stat_database: %w", err)
	}
	return s, nil
}

// Connect opens a connection to the manager's database.
func (p *Postgres) Connect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return pgx.Connect(ctx, p.URL)
}
