package bedrock

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
)

// Limits of what the process keeps for reuse across runs.
const (
	// maxSharedConfigs bounds the AWS configurations (and their clients and credential caches)
	// kept; the least recently used goes first. Every object with a role has its own (its
	// session is named after it), so a cluster of many such objects evicts and assumes again.
	maxSharedConfigs = 256
	// maxModelRetryers bounds the per-model retryers of one configuration. A retryer dropped
	// while its model is throttled forgets only that it was: its successor starts afresh.
	maxModelRetryers = 256
	// Idle connections are kept for the next run, within these bounds.
	maxIdleConns        = 256
	maxIdleConnsPerHost = 128
	idleConnTimeout     = 30 * time.Second
)

// sdkClients are the SDK clients of one AWS configuration, shared by every Client with the
// same key. Their middleware counts calls into the counters each call's context carries.
type sdkClients struct {
	control *bedrock.Client
	runtime *bedrockruntime.Client
	// newRetryer makes the retryer of one model's runtime calls; retryers keeps them by model id.
	newRetryer func() aws.Retryer
	retryers   *lru[string, aws.Retryer]
}

// modelRetryer gives a model's runtime calls a retryer of their own. Bedrock's quotas are per
// model and region, and the adaptive retryer rate-limits client-side once throttled: shared by
// every model of a configuration, one throttled model would slow, and lower the rating of, all
// the others.
func (s *sdkClients) modelRetryer(modelID string) func(*bedrockruntime.Options) {
	r, _ := s.retryers.get(modelID, func() (aws.Retryer, error) { return s.newRetryer(), nil })
	return func(o *bedrockruntime.Options) { o.Retryer = r }
}

// clientKey is what an AWS configuration depends on. The secret key and session token appear
// only as a hash, so that keys can be logged or dumped without leaking them.
type clientKey struct {
	region, endpoint, roleARN string
	// The assumed-role session's identity: a configuration, and its cached role credentials,
	// belong to one session.
	externalID, sessionName, sessionTags string
	accessKeyID, secretHash              string
	maxAttempts                          int
	maxBackoff                           time.Duration
	caBundle                             string
}

func keyOf(c Config) clientKey {
	k := clientKey{
		region: c.Region, endpoint: c.Endpoint, roleARN: c.Credentials.RoleARN,
		accessKeyID: c.Credentials.AccessKeyID, maxAttempts: c.maxAttempts(), maxBackoff: c.MaxBackoff,
		caBundle:   os.Getenv("AWS_CA_BUNDLE"),
		externalID: c.Credentials.ExternalID, sessionName: c.Credentials.SessionName,
	}
	for _, tag := range slices.Sorted(maps.Keys(c.Credentials.SessionTags)) {
		k.sessionTags += tag + "=" + c.Credentials.SessionTags[tag] + "\x00"
	}
	if c.Credentials.static() {
		sum := sha256.Sum256([]byte(c.Credentials.SecretAccessKey + "\x00" + c.Credentials.SessionToken))
		k.secretHash = hex.EncodeToString(sum[:])
	}
	return k
}

// clientCache keeps the SDK clients per key, least recently used first out, and one HTTP
// client per CA bundle, so that runs share connections instead of each opening its own.
type clientCache struct {
	clients *lru[clientKey, *sdkClients]
	mu      sync.Mutex             // guards http
	http    map[string]*sharedHTTP // by AWS_CA_BUNDLE path, "" for none
}

// sharedHTTP is the HTTP client of every configuration with one CA bundle, and the bundle as
// read once: the SDK's loader would read the file again for each configuration.
type sharedHTTP struct {
	client   *awshttp.BuildableClient
	caBundle []byte
}

func newClientCache(max int) *clientCache {
	return &clientCache{clients: newLRU[clientKey, *sdkClients](max), http: map[string]*sharedHTTP{}}
}

// shared is the process's cache: the controller builds a Client per run.
var shared = newClientCache(maxSharedConfigs)

// get returns the clients for c, building them on first use.
func (cc *clientCache) get(ctx context.Context, c Config) (*sdkClients, error) {
	key := keyOf(c)
	return cc.clients.get(key, func() (*sdkClients, error) {
		httpClient, err := cc.httpClient(key.caBundle)
		if err != nil {
			return nil, err
		}
		return newSDKClients(ctx, c, httpClient)
	})
}

// len is the number of configurations kept.
func (cc *clientCache) len() int { return cc.clients.len() }

// httpClient returns the HTTP client for a CA bundle, reading the bundle once.
func (cc *clientCache) httpClient(caBundle string) (*sharedHTTP, error) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if hc, ok := cc.http[caBundle]; ok {
		return hc, nil
	}
	var roots *x509.CertPool
	var pem []byte
	if caBundle != "" {
		var err error
		pem, err = os.ReadFile(caBundle)
		if err != nil {
			return nil, fmt.Errorf("AWS_CA_BUNDLE: %w", err)
		}
		if roots, err = x509.SystemCertPool(); err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("AWS_CA_BUNDLE: %s holds no PEM certificate", caBundle)
		}
	}
	hc := &sharedHTTP{caBundle: pem, client: awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns, t.MaxIdleConnsPerHost, t.IdleConnTimeout = maxIdleConns, maxIdleConnsPerHost, idleConnTimeout
		if roots != nil {
			t.TLSClientConfig.RootCAs = roots
		}
	})}
	cc.http[caBundle] = hc
	return hc, nil
}

// newSDKClients loads one AWS configuration and builds both Bedrock clients over it.
func newSDKClients(ctx context.Context, c Config, shared *sharedHTTP) (*sdkClients, error) {
	cfg, err := loadAWSConfig(ctx, c, shared)
	if err != nil {
		return nil, err
	}
	endpoint := func(base **string) {
		if c.Endpoint != "" {
			*base = aws.String(c.Endpoint)
		}
	}
	return &sdkClients{
		newRetryer: func() aws.Retryer { return newRetryer(c.maxAttempts(), c.MaxBackoff) },
		retryers:   newLRU[string, aws.Retryer](maxModelRetryers),
		control: bedrock.NewFromConfig(cfg, func(o *bedrock.Options) {
			endpoint(&o.BaseEndpoint)
			o.APIOptions = append(o.APIOptions, addAttemptCounting)
		}),
		runtime: bedrockruntime.NewFromConfig(cfg, func(o *bedrockruntime.Options) {
			endpoint(&o.BaseEndpoint)
			o.APIOptions = append(o.APIOptions, addAttemptCounting)
		}),
	}, nil
}
