package harness

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Regions are the regions every generated persona is offered in.
var Regions = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1", "ap-southeast-2"}

// Pair is a model and a region: one database row.
type Pair struct{ Model, Region string }

// Pairs returns n distinct (model, region) pairs over the personas WriteCatalog writes for n.
func Pairs(n int) []Pair {
	pairs := make([]Pair, n)
	for i := range pairs {
		pairs[i] = Pair{Model: personaID(i / len(Regions)), Region: Regions[i%len(Regions)]}
	}
	return pairs
}

func personaID(i int) string { return fmt.Sprintf("harness.model-%05d-v1", i) }

// WriteCatalog writes a simulator catalog with enough well-behaved personas for n distinct
// pairs, each answering after exactly latency (no jitter), so run times are steady.
func WriteCatalog(path string, n int, latency time.Duration) error {
	var b bytes.Buffer
	b.WriteString("personas:\n")
	for i := range (n + len(Regions) - 1) / len(Regions) {
		fmt.Fprintf(&b, "  - id: %s\n    provider: Harness\n    regions: [%s]\n", personaID(i), strings.Join(Regions, ", "))
		fmt.Fprintf(&b, "    capabilities: [streaming, systemPrompt, toolUse, vision]\n")
		fmt.Fprintf(&b, "    latency: {fixed: %s, jitter: 0s}\n", latency)
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// Simulator is a running bedrock-sim process; its access log has one line per request.
type Simulator struct {
	URL       string
	AccessLog string
	cmd       *exec.Cmd
}

// StartSimulator starts bin with the catalog and waits for its "listening on URL" line. With a
// non-empty caBundle it serves HTTPS, as Bedrock does (HTTP/2 by ALPN), with a self-signed
// certificate written to caBundle for clients to trust (AWS_CA_BUNDLE).
func StartSimulator(bin, catalog, accessLog, caBundle string) (*Simulator, error) {
	logFile, err := os.Create(accessLog)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	args := []string{"--catalog", catalog}
	if caBundle != "" {
		args = append(args, "--tls", "--tls-cert-out", caBundle)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start bedrock-sim: %w", err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("bedrock-sim did not start (%q, %v); see %s", line, err, accessLog)
	}
	return &Simulator{URL: url, AccessLog: accessLog, cmd: cmd}, nil
}

// Requests counts the requests the simulator has logged so far.
func (s *Simulator) Requests() (int, error) {
	data, err := os.ReadFile(s.AccessLog)
	if err != nil {
		return 0, err
	}
	return bytes.Count(data, []byte(" model=")), nil
}

// Stop ends the simulator.
func (s *Simulator) Stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}
