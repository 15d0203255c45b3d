package harness

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Proc is what /proc says about a process.
type Proc struct {
	// OpenFiles counts /proc/PID/fd; RSS and PeakRSS are VmRSS and VmHWM in bytes.
	OpenFiles    int
	RSS, PeakRSS int64
}

// ReadProc reads /proc/PID/fd and /proc/PID/status.
func ReadProc(pid int) (Proc, error) {
	var p Proc
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return p, err
	}
	p.OpenFiles = len(fds)
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
		}
	}
	return p, scanner.Err()
}

// MiB formats bytes in MiB.
func MiB(bytes int64) string { return fmt.Sprintf("%.0f MiB", float64(bytes)/(1<<20)) }
