// Package image_test checks the manager image `make image` builds, reading the OCI layout with
// the standard library only, as a registry or a container runtime would.
package image_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modelcert/modelcert-operator/internal/testenv"
)

const (
	testImage    = "registry.example/modelcert/modelcert-operator:v9.9.9-test"
	testVersion  = "v9.9.9-test"
	testRevision = "0123456789abcdef0123456789abcdef01234567"
)

// descriptor, manifest, index and config are the parts of the OCI image spec the test reads.
type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations"`
	Platform    *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	} `json:"platform"`
}

type index struct {
	MediaType   string            `json:"mediaType"`
	Manifests   []descriptor      `json:"manifests"`
	Annotations map[string]string `json:"annotations"`
}

type manifest struct {
	MediaType   string            `json:"mediaType"`
	Config      descriptor        `json:"config"`
	Layers      []descriptor      `json:"layers"`
	Annotations map[string]string `json:"annotations"`
}

type config struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Config       struct {
		User       string   `json:"User"`
		Entrypoint []string `json:"Entrypoint"`
		Cmd        []string `json:"Cmd"`
	} `json:"config"`
}

// buildImage runs `make image`'s script into a temporary directory and returns the OCI layout.
func buildImage(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the manager for two architectures")
	}
	out := t.TempDir()
	cmd := exec.Command(filepath.Join(testenv.RepoRoot(), "hack", "image.sh"))
	cmd.Env = append(os.Environ(), "OUT="+out, "IMG="+testImage, "VERSION="+testVersion,
		"SOURCE_DATE_EPOCH=1764547200", "PUSH=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("hack/image.sh: %v\n%s", err, stderr.String())
	}
	if got := strings.TrimSpace(string(stdout)); !strings.HasPrefix(got, testImage+"@sha256:") {
		t.Errorf("hack/image.sh printed %q, want %s@sha256:…", got, testImage)
	}
	if _, err := os.Stat(filepath.Join(out, "modelcert-operator.tar")); err != nil {
		t.Errorf("no OCI archive: %v", err)
	}
	return filepath.Join(out, "oci")
}

func TestImage(t *testing.T) {
	layout := buildImage(t)
	blob := func(t *testing.T, d descriptor) []byte {
		t.Helper()
		algo, hexDigest, _ := strings.Cut(d.Digest, ":")
		data, err := os.ReadFile(filepath.Join(layout, "blobs", algo, hexDigest))
		if err != nil {
			t.Fatalf("blob %s: %v", d.Digest, err)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != hexDigest || int64(len(data)) != d.Size {
			t.Fatalf("blob %s: content does not match its digest and size", d.Digest)
		}
		return data
	}
	decode := func(t *testing.T, d descriptor, v any) {
		t.Helper()
		if err := json.Unmarshal(blob(t, d), v); err != nil {
			t.Fatalf("decode %s: %v", d.Digest, err)
		}
	}

	var top index
	raw, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	if len(top.Manifests) != 1 || top.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != testImage {
		t.Fatalf("index.json: want one entry named %s, got %+v", testImage, top.Manifests)
	}
	var idx index
	decode(t, top.Manifests[0], &idx)
	if idx.MediaType != "application/vnd.oci.image.index.v1+json" {
		t.Errorf("index media type %q", idx.MediaType)
	}
	wantAnnotations := map[string]string{
		"org.opencontainers.image.version":  testVersion,
		"org.opencontainers.image.revision": "", // the checkout's commit, checked below
		"org.opencontainers.image.source":   "https://github.com/modelcert/modelcert-operator",
		"org.opencontainers.image.created":  "2025-12-01T00:00:00Z",
		"org.opencontainers.image.title":    "modelcert-operator",
	}
	checkAnnotations := func(t *testing.T, what string, got map[string]string) {
		t.Helper()
		if rev := got["org.opencontainers.image.revision"]; len(strings.TrimSuffix(rev, "-dirty")) != 40 {
			t.Errorf("%s: revision %q is not a commit", what, rev)
		}
		got = maps.Clone(got)
		got["org.opencontainers.image.revision"] = ""
		if diff := cmp.Diff(wantAnnotations, got); diff != "" {
			t.Errorf("%s annotations (-want +got):\n%s", what, diff)
		}
	}
	checkAnnotations(t, "index", idx.Annotations)

	var platforms []string
	for _, d := range idx.Manifests {
		if d.Platform == nil {
			t.Fatalf("manifest %s has no platform", d.Digest)
		}
		platform := d.Platform.OS + "/" + d.Platform.Architecture
		platforms = append(platforms, platform)
		t.Run(platform, func(t *testing.T) {
			var m manifest
			decode(t, d, &m)
			checkAnnotations(t, platform, m.Annotations)
			var c config
			decode(t, m.Config, &c)
			if c.OS != d.Platform.OS || c.Architecture != d.Platform.Architecture {
				t.Errorf("config says %s/%s", c.OS, c.Architecture)
			}
			if c.Config.User != "65532:65532" {
				t.Errorf("user %q, want the numeric non-root 65532:65532", c.Config.User)
			}
			if !slices.Equal(c.Config.Entrypoint, []string{"/manager"}) || len(c.Config.Cmd) != 0 {
				t.Errorf("entrypoint %q cmd %q, want [/manager] and no cmd", c.Config.Entrypoint, c.Config.Cmd)
			}
			if len(m.Layers) != 1 {
				t.Fatalf("%d layers, want 1 on an empty base", len(m.Layers))
			}
			files := untar(t, blob(t, m.Layers[0]))
			if _, ok := files["etc/ssl/certs/ca-certificates.crt"]; !ok {
				t.Error("no CA bundle at /etc/ssl/certs/ca-certificates.crt")
			}
			bin, ok := files["manager"]
			if !ok {
				t.Fatalf("no /manager in the layer; files: %v", slices.Sorted(maps.Keys(files)))
			}
			checkStaticELF(t, bin, d.Platform.Architecture)
			if d.Platform.Architecture == runtime.GOARCH {
				runHelp(t, bin)
			}
		})
	}
	if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64"}, platforms); diff != "" {
		t.Errorf("platforms (-want +got):\n%s", diff)
	}
}

// untar returns the regular files of a gzipped tar layer, checking owners and modes.
func untar(t *testing.T, layer []byte) map[string][]byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(layer))
	if err != nil {
		t.Fatalf("layer: %v", err)
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("layer: %v", err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.Mode&0o022 != 0 {
			t.Errorf("%s: owner %d:%d mode %o; the non-root user must not be able to change it", h.Name, h.Uid, h.Gid, h.Mode)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "manager" && h.Mode&0o005 != 0o005 {
			t.Errorf("manager mode %o: others (uid 65532) cannot execute it", h.Mode)
		}
		files[strings.TrimPrefix(h.Name, "/")] = data
	}
	return files
}

func checkStaticELF(t *testing.T, bin []byte, arch string) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("manager is not an ELF binary: %v", err)
	}
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
	if f.Machine != want {
		t.Errorf("manager is for %s, want %s", f.Machine, want)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("manager is dynamically linked; the empty base has no libc")
		}
	}
}

// runHelp runs the image's binary as a container would, with nothing but its own file.
func runHelp(t *testing.T, bin []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "manager")
	if err := os.WriteFile(path, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, "--help")
	cmd.Env = []string{}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("manager --help: %v\n%s", err, out)
	}
	for _, flag := range []string{"-leader-elect", "-leader-election-namespace", "-metrics-secure", "-watch-namespaces"} {
		if !strings.Contains(string(out), flag) {
			t.Errorf("manager --help does not list %s:\n%s", flag, out)
		}
	}
}
