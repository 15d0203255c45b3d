package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// crashBackoff is how long the supervisor waits before starting a manager that exited by
// itself, as a kubelet would (its first back-off is 10 s; shorter here, to keep runs short).
const crashBackoff = time.Second

// Manager runs the manager binary under a supervisor that restarts it whenever it exits,
// appending every incarnation's output to one log file.
type Manager struct {
	bin     string
	args    []string
	env     []string
	log     *os.File
	logPath string

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	stopped bool
	// Starts counts every start; Crashes counts exits the harness did not cause.
	Starts, Crashes int
}

// StartManager starts bin with args and extra environment variables, logging to logPath.
func StartManager(bin string, args, env []string, logPath string) (*Manager, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	m := &Manager{bin: bin, args: args, env: env, log: log, logPath: logPath}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m, m.startLocked()
}

func (m *Manager) startLocked() error {
	cmd := exec.Command(m.bin, m.args...)
	cmd.Env = append(os.Environ(), m.env...)
	cmd.Stdout, cmd.Stderr = m.log, m.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start manager: %w", err)
	}
	m.Starts++
	m.cmd, m.exited = cmd, make(chan struct{})
	go m.supervise(cmd, m.exited)
	return nil
}

// supervise waits for one incarnation and restarts it if it exited on its own.
func (m *Manager) supervise(cmd *exec.Cmd, exited chan struct{}) {
	_ = cmd.Wait()
	close(exited)
	time.Sleep(crashBackoff)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped || m.cmd != cmd {
		return
	}
	m.Crashes++
	fmt.Fprintf(m.log, "harness: manager exited (%s); starting it again\n", cmd.ProcessState)
	if err := m.startLocked(); err != nil {
		fmt.Fprintf(m.log, "harness: %v\n", err)
	}
}

// PID is the running incarnation's process id.
func (m *Manager) PID() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cmd.Process.Pid
}

// Kill SIGKILLs the running incarnation, waits for it to die and starts a new one.
func (m *Manager) Kill() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	_ = m.cmd.Process.Signal(syscall.SIGKILL)
	<-m.exited
	fmt.Fprintf(m.log, "harness: manager SIGKILLed; starting it again\n")
	return m.startLocked()
}

// Stop ends the manager for good: SIGTERM, then SIGKILL after 10 s.
func (m *Manager) Stop() {
	m.mu.Lock()
	m.stopped = true
	cmd, exited := m.cmd, m.exited
	m.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
	m.log.Close()
}

// LogSize is the log's length now, an offset for WaitWorkers.
func (m *Manager) LogSize() int64 {
	info, err := os.Stat(m.logPath)
	if err != nil {
		return 0
	}
	return info.Size()
}

// WaitWorkers waits until the log, past offset, says a controller started its workers: the
// manager is up. It gives up after a minute, naming the log, so that a manager refusing its flags
// fails the run at once rather than crash-looping through it.
func (m *Manager) WaitWorkers(ctx context.Context, offset int64) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		data, err := os.ReadFile(m.logPath)
		if err == nil && int64(len(data)) > offset && strings.Contains(string(data[offset:]), "Starting workers") {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("the manager did not start its workers within a minute; see %s", m.logPath)
}
