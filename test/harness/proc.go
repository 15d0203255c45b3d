package harness

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Proc is what /proc says about a process.
type Proc struct {
	// OpenFiles counts /proc/PID/fd; RSS and PeakRSS are VmRSS and VmHWM in bytes. RSS is
	// RSSAnon (the heap, stacks and the runtime's own memory), RSSFile (the executable's pages)
	// and shared memory.
	OpenFiles                      int
	RSS, PeakRSS, RSSAnon, RSSFile int64
	// CPU is the user and system time the process has used.
	CPU time.Duration
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux architecture
// Go supports.
const clockTicks = 100

// ReadProc reads /proc/PID/fd, /proc/PID/stat and /proc/PID/status.
func ReadProc(pid int) (Proc, error) {
	var p Proc
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return p, err
	}
	p.OpenFiles = len(fds)
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return p, err
	}
	// The command (field 2) is in parentheses and may hold spaces and parentheses itself; the
	// fields after its last ")" start at state (field 3), so utime and stime (14, 15) are the
	// 12th and 13th.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(fields) < 13 {
		return p, fmt.Errorf("/proc/%d/stat: %d fields after the command, want at least 13", pid, len(fields))
	}
	utime, uerr := strconv.ParseInt(fields[11], 10, 64)
	stime, serr := strconv.ParseInt(fields[12], 10, 64)
	if uerr != nil || serr != nil {
		return p, fmt.Errorf("/proc/%d/stat: utime %q, stime %q", pid, fields[11], fields[12])
	}
	p.CPU = time.Duration(utime+stime) * time.Second / clockTicks
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return p, err
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		key, value, _ := strings.Cut(scanner.Text(), ":")
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		kib, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch key {
		case "VmRSS":
			p.RSS = kib << 10
		case "VmHWM":
			p.PeakRSS = kib << 10
		case "RssAnon":
			p.RSSAnon = kib << 10
		case "RssFile":
			p.RSSFile = kib << 10
		}
	}
	return p, scanner.Err()
}

// MiB formats bytes in MiB.
func MiB(bytes int64) string { return fmt.Sprintf("%.0f MiB", float64(bytes)/(1<<20)) }
