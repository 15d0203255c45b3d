// Command image lays static manager binaries onto an empty base as a multi-architecture OCI
// image, with no Docker daemon, writes it as an OCI layout directory and optionally pushes it.
//
//	image -layout bin/image/oci -tag REPO:TAG -version V -revision SHA -source URL \
//	  -created 2026-12-01T00:00:00Z [-push] linux/amd64=PATH linux/arm64=PATH
//
// It prints the index digest (sha256:…) on standard output, so callers can pin the image.
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// nonRoot is distroless' "nonroot" user and group; numeric, so the kubelet can verify
// runAsNonRoot without an /etc/passwd in the image.
const nonRoot = "65532:65532"

// caBundle is where Go's crypto/x509 looks first on Linux; the manager speaks TLS to AWS and
// PostgreSQL, and the empty base has no certificates of its own.
const caBundle = "etc/ssl/certs/ca-certificates.crt"

type options struct {
	layoutDir, tag, version, revision, source, created, caFile string
	push                                                       bool
	binaries                                                   []platformBinary
}

type platformBinary struct {
	platform v1.Platform
	path     string
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "image: %v\n", err)
		os.Exit(2)
	}
	digest, err := build(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "image: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(digest)
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	fs.StringVar(&o.layoutDir, "layout", "", "OCI layout directory to write (replaced)")
	fs.StringVar(&o.tag, "tag", "", "image reference REPO:TAG, recorded in the layout and pushed with -push")
	fs.StringVar(&o.version, "version", "", "org.opencontainers.image.version")
	fs.StringVar(&o.revision, "revision", "", "org.opencontainers.image.revision (the commit)")
	fs.StringVar(&o.source, "source", "", "org.opencontainers.image.source (the repository URL)")
	fs.StringVar(&o.created, "created", "", "org.opencontainers.image.created (RFC 3339); also every file's time")
	fs.StringVar(&o.caFile, "ca-certificates", "/etc/ssl/certs/ca-certificates.crt", "CA bundle copied into the image")
	fs.BoolVar(&o.push, "push", false, "push the index to the registry named by -tag")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for flagName, v := range map[string]string{"-layout": o.layoutDir, "-tag": o.tag, "-version": o.version, "-revision": o.revision, "-created": o.created} {
		if v == "" {
			return o, fmt.Errorf("%s is required", flagName)
		}
	}
	if fs.NArg() == 0 {
		return o, fmt.Errorf("name at least one OS/ARCH=BINARY")
	}
	for _, arg := range fs.Args() {
		spec, path, ok := strings.Cut(arg, "=")
		if !ok {
			return o, fmt.Errorf("argument %q: want OS/ARCH=BINARY", arg)
		}
		p, err := v1.ParsePlatform(spec)
		if err != nil {
			return o, fmt.Errorf("argument %q: %w", arg, err)
		}
		o.binaries = append(o.binaries, platformBinary{platform: *p, path: path})
	}
	return o, nil
}

func build(o options) (string, error) {
	created, err := time.Parse(time.RFC3339, o.created)
	if err != nil {
		return "", fmt.Errorf("-created: %w", err)
	}
	ca, err := os.ReadFile(o.caFile)
	if err != nil {
		return "", fmt.Errorf("-ca-certificates: %w", err)
	}
	annotations := map[string]string{
		"org.opencontainers.image.version":  o.version,
		"org.opencontainers.image.revision": o.revision,
		"org.opencontainers.image.created":  created.UTC().Format(time.RFC3339),
		"org.opencontainers.image.title":    "modelcert-operator",
	}
	if o.source != "" {
		annotations["org.opencontainers.image.source"] = o.source
	}

	var idx v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, b := range o.binaries {
		img, err := platformImage(b, ca, created, annotations)
		if err != nil {
			return "", fmt.Errorf("%s: %w", b.platform, err)
		}
		platform := b.platform
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &platform}})
	}
	idx = mutate.Annotations(idx, annotations).(v1.ImageIndex)
	digest, err := idx.Digest()
	if err != nil {
		return "", fmt.Errorf("index digest: %w", err)
	}

	if err := os.RemoveAll(o.layoutDir); err != nil {
		return "", err
	}
	p, err := layout.Write(o.layoutDir, empty.Index)
	if err != nil {
		return "", fmt.Errorf("write layout: %w", err)
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": o.tag})); err != nil {
		return "", fmt.Errorf("write layout: %w", err)
	}

	if o.push {
		ref, err := name.ParseReference(o.tag)
		if err != nil {
			return "", fmt.Errorf("-tag: %w", err)
		}
		if err := remote.WriteIndex(ref, idx, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
			return "", fmt.Errorf("push %s: %w", ref, err)
		}
		fmt.Fprintf(os.Stderr, "image: pushed %s@%s\n", ref.Context(), digest)
	}
	return digest.String(), nil
}

// platformImage is one architecture's image: the binary at /manager and the CA bundle, in a
// single layer with fixed owners and times, so the same inputs give the same digest.
func platformImage(b platformBinary, ca []byte, created time.Time, annotations map[string]string) (v1.Image, error) {
	bin, err := os.ReadFile(b.path)
	if err != nil {
		return nil, err
	}
	layerTar, err := tarFiles(created, []tarFile{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/ssl/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/", mode: 0o755, dir: true},
		{name: caBundle, mode: 0o644, data: ca},
		{name: "manager", mode: 0o755, data: bin},
	})
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	if img, err = mutate.AppendLayers(img, layer); err != nil {
		return nil, fmt.Errorf("append layer: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.Variant = b.platform.OS, b.platform.Architecture, b.platform.Variant
	cfg.Created = v1.Time{Time: created}
	cfg.Config = v1.Config{
		Entrypoint: []string{"/manager"},
		User:       nonRoot,
		WorkingDir: "/",
		Labels:     annotations,
	}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return mutate.Annotations(img, annotations).(v1.Image), nil
}

type tarFile struct {
	name string
	mode int64
	dir  bool
	data []byte
}

func tarFiles(modTime time.Time, files []tarFile) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, ModTime: modTime, Typeflag: tar.TypeReg, Size: int64(len(f.data)), Format: tar.FormatPAX}
		if f.dir {
			h.Typeflag = tar.TypeDir
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
