package harness

import (
	"os"
	"testing"
	"time"
)

// ReadProc reads this test's own process: its CPU time grows with work, and its resident
// memory is its anonymous and file-backed pages.
func TestReadProcOfThisProcess(t *testing.T) {
	before, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
	}
	after, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after.CPU-before.CPU < 20*time.Millisecond {
		t.Errorf("CPU went from %s to %s over 50ms of spinning", before.CPU, after.CPU)
	}
	if after.RSSAnon <= 0 || after.RSSFile <= 0 || after.RSSAnon+after.RSSFile > after.RSS || after.PeakRSS < after.RSS {
		t.Errorf("RSS %d, anon %d, file %d, peak %d", after.RSS, after.RSSAnon, after.RSSFile, after.PeakRSS)
	}
	if after.OpenFiles < 3 {
		t.Errorf("open files %d, want at least stdin, stdout and stderr", after.OpenFiles)
	}
}
