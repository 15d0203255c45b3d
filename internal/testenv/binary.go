package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
	"testing"
)

// builds are the binaries this test process built, by package, in one folder Run removes.
var builds struct {
	mu   sync.Mutex
	dir  string
	done map[string]build
}

type build struct {
	path string
	err  error
}

// Binary builds the command in pkg (for example "./cmd/manager") once per test process and
// returns its path; the binary is named after the package's folder, alone in its folder with
// the process's other builds, so that the folder can go on PATH.
func Binary(t *testing.T, pkg string) string {
	t.Helper()
	builds.mu.Lock()
	defer builds.mu.Unlock()
	b, ok := builds.done[pkg]
	if !ok {
		b = buildBinary(pkg)
		if builds.done == nil {
			builds.done = map[string]build{}
		}
		builds.done[pkg] = b
	}
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// buildBinary builds pkg into the process's build folder. Callers hold builds.mu.
func buildBinary(pkg string) build {
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "modelcert-test-bin-")
		if err != nil {
			return build{err: fmt.Errorf("build %s: %w", pkg, err)}
		}
		builds.dir = dir
	}
	out := filepath.Join(builds.dir, path.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = RepoRoot()
	if output, err := cmd.CombinedOutput(); err != nil {
		return build{err: fmt.Errorf("go build %s: %v\n%s", pkg, err, output)}
	}
	return build{path: out}
}

// removeBuilds deletes what Binary built.
func removeBuilds() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
}
