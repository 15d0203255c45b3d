// Package tenancy decides which credentials, roles and endpoints each namespace may use.
package tenancy

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// PolicyKey is the ConfigMap data key that holds the policy.
const PolicyKey = "policy.yaml"

// Rules, as refusals name them.
const (
	RuleDefaultCredentials = "defaultCredentials"
	RuleRoles              = "roles"
	RuleEndpointHosts      = "endpoints.hosts"
	RuleEndpointHTTP       = "endpoints.allowHTTP"
)

// Spec is the policy as the cluster admin writes it (YAML under PolicyKey). A field left out
// keeps the operator's default (its flags).
type Spec struct {
	// DefaultCredentials says which namespaces may sign with the operator's own identity (its
	// default credential chain) when an object names neither credentials nor a role.
	DefaultCredentials *NamespaceMatch `json:"defaultCredentials,omitempty"`
	// Roles grant role ARNs to namespaces. Left out, a namespace that may use the default
	// chain may assume any role through it (as before this policy existed); set, even empty,
	// only the roles granted here may be assumed through the operator's identity.
	Roles []RoleGrant `json:"roles,omitempty"`
	// Endpoints says which endpoints objects may name.
	Endpoints *Endpoints `json:"endpoints,omitempty"`
}

// NamespaceMatch matches namespaces by name (globs, '*' for all) or by label selector; either suffices.
type NamespaceMatch struct {
	Namespaces        []string              `json:"namespaces,omitempty"`
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
}

// RoleGrant lets the namespaces it matches assume the roles it lists.
type RoleGrant struct {
	NamespaceMatch `json:",inline"`
	// RoleARNs are IAM role ARNs; '*' matches any run of characters and '?' one, as in IAM policies.
	RoleARNs []string `json:"roleArns"`
	// ExternalID is sent with AssumeRole for these roles, when set.
	ExternalID string `json:"externalId,omitempty"`
}

// Endpoints lists the endpoints objects may name.
type Endpoints struct {
	// AWSDefaults allows the object's region's Bedrock endpoints: public, FIPS and VPC endpoint
	// names (default true).
	AWSDefaults *bool `json:"awsDefaults,omitempty"`
	// Hosts are further host patterns, "host" or "host:port"; '*' matches within one DNS label
	// (or any port). A pattern without a port matches only the scheme's default port.
	Hosts []string `json:"hosts,omitempty"`
	// AllowHTTP allows plain http endpoints (default false).
	AllowHTTP *bool `json:"allowHTTP,omitempty"`
}

// Policy is a checked policy, ready to decide with.
type Policy struct {
	defaultCredentials namespaceMatcher
	// roles is nil when the policy grants no roles of its own (the default chain's namespaces
	// may assume any role).
	roles       []roleGrant
	awsDefaults bool
	hosts       []hostPattern
	allowHTTP   bool
}

type namespaceMatcher struct {
	names    []string
	selector labels.Selector // nil for none
	// describe is how a refusal names what the rule allows.
	describe string
}

type roleGrant struct {
	namespaces namespaceMatcher
	arns       []*regexp.Regexp
	externalID string
}

type hostPattern struct {
	labels []string
	port   string // "" for the scheme's default, "*" for any
	text   string
}

// Defaults are the policy's defaults, which the operator's flags set.
type Defaults struct {
	// DefaultCredentialsNamespaces may use the operator's default credential chain ("*" for all).
	DefaultCredentialsNamespaces []string
	// EndpointHosts are allowed besides the AWS Bedrock endpoints.
	EndpointHosts []string
	AllowHTTP     bool
}

// DefaultDefaults are the defaults without flags: every namespace may use the default chain
// (as before the policy existed), and only the AWS Bedrock endpoints over https.
func DefaultDefaults() Defaults {
	return Defaults{DefaultCredentialsNamespaces: []string{"*"}}
}

// New checks a policy written as YAML; empty text means the defaults alone. Errors name the field.
func New(text string, d Defaults) (*Policy, error) {
	raw, err := yaml.YAMLToJSONStrict([]byte(text))
	if err != nil {
		return nil, err
	}
	spec := Spec{}
	// Case-sensitive, and refusing unknown and repeated fields: a misspelt field would
	// otherwise be a rule silently not applied.
	strict, err := kjson.UnmarshalStrict(raw, &spec)
	if err != nil {
		return nil, err
	}
	if len(strict) > 0 {
		return nil, errors.Join(strict...)
	}
	return compile(spec, d)
}

func compile(spec Spec, d Defaults) (*Policy, error) {
	var errs []error
	p := &Policy{awsDefaults: true, allowHTTP: d.AllowHTTP}
	creds := NamespaceMatch{Namespaces: d.DefaultCredentialsNamespaces}
	if spec.DefaultCredentials != nil {
		creds = *spec.DefaultCredentials
	}
	var err error
	if p.defaultCredentials, err = compileMatch(creds, RuleDefaultCredentials); err != nil {
		errs = append(errs, err)
	}
	if spec.Roles != nil {
		p.roles = []roleGrant{}
	}
	for i, g := range spec.Roles {
		field := fmt.Sprintf("%s[%d]", RuleRoles, i)
		grant := roleGrant{externalID: g.ExternalID}
		if grant.namespaces, err = compileMatch(g.NamespaceMatch, field); err != nil {
			errs = append(errs, err)
		}
		if len(g.Namespaces) == 0 && g.NamespaceSelector == nil {
			errs = append(errs, fmt.Errorf("%s: namespaces or namespaceSelector is required", field))
		}
		if len(g.RoleARNs) == 0 {
			errs = append(errs, fmt.Errorf("%s.roleArns: at least one role ARN is required", field))
		}
		for j, arn := range g.RoleARNs {
			if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":role/") {
				errs = append(errs, fmt.Errorf("%s.roleArns[%d]: %q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", field, j, arn))
				continue
			}
			grant.arns = append(grant.arns, arnGlob(arn))
		}
		if id := g.ExternalID; id != "" && (len(id) < 2 || len(id) > 1224 || !externalIDChars.MatchString(id)) {
			errs = append(errs, fmt.Errorf("%s.externalId: must be 2 to 1224 of the characters STS allows ([\\w+=,.@:/-])", field))
		}
		p.roles = append(p.roles, grant)
	}
	hosts := d.EndpointHosts
	if e := spec.Endpoints; e != nil {
		if e.AWSDefaults != nil {
			p.awsDefaults = *e.AWSDefaults
		}
		if e.Hosts != nil {
			hosts = e.Hosts
		}
		if e.AllowHTTP != nil {
			p.allowHTTP = *e.AllowHTTP
		}
	}
	for i, h := range hosts {
		hp, err := parseHostPattern(h)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s[%d]: %w", RuleEndpointHosts, i, err))
			continue
		}
		p.hosts = append(p.hosts, hp)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

var externalIDChars = regexp.MustCompile(`^[\w+=,.@:/-]+$`)

func compileMatch(m NamespaceMatch, field string) (namespaceMatcher, error) {
	out := namespaceMatcher{names: m.Namespaces}
	var parts []string
	if len(m.Namespaces) > 0 {
		parts = append(parts, "namespaces "+strings.Join(m.Namespaces, ","))
	}
	for i, n := range m.Namespaces {
		if _, err := path.Match(n, ""); err != nil || n == "" {
			return out, fmt.Errorf("%s.namespaces[%d]: %q is not a namespace name or glob", field, i, n)
		}
	}
	if m.NamespaceSelector != nil {
		sel, err := metav1.LabelSelectorAsSelector(m.NamespaceSelector)
		if err != nil {
			return out, fmt.Errorf("%s.namespaceSelector: %w", field, err)
		}
		out.selector = sel
		parts = append(parts, "namespaceSelector "+sel.String())
	}
	out.describe = strings.Join(parts, " or ")
	if out.describe == "" {
		out.describe = "no namespace"
	}
	return out, nil
}

func (m namespaceMatcher) matches(namespace string, nsLabels map[string]string) bool {
	for _, n := range m.names {
		if ok, _ := path.Match(n, namespace); ok {
			return true
		}
	}
	return m.selector != nil && m.selector.Matches(labels.Set(nsLabels))
}

// arnGlob turns an IAM-style ARN pattern into a regular expression.
func arnGlob(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func parseHostPattern(text string) (hostPattern, error) {
	host, port := strings.ToLower(strings.TrimSpace(text)), ""
	if h, p, err := net.SplitHostPort(host); err == nil {
		host, port = h, p
		if port == "" {
			return hostPattern{}, fmt.Errorf("%q has an empty port", text)
		}
	}
	if host == "" || strings.ContainsAny(host, "/@?#") {
		return hostPattern{}, fmt.Errorf("%q is not a host pattern (host or host:port, '*' within a label)", text)
	}
	hp := hostPattern{labels: strings.Split(host, "."), port: port, text: text}
	for _, l := range hp.labels {
		if _, err := path.Match(l, ""); err != nil || l == "" {
			return hostPattern{}, fmt.Errorf("%q is not a host pattern (host or host:port, '*' within a label)", text)
		}
	}
	return hp, nil
}

func (hp hostPattern) matches(host, port string) bool {
	if hp.port != "*" && hp.port != port {
		return false
	}
	labels := strings.Split(host, ".")
	if len(labels) != len(hp.labels) {
		return false
	}
	for i, l := range labels {
		if ok, _ := path.Match(hp.labels[i], l); !ok {
			return false
		}
	}
	return true
}

// awsEndpointPatterns are a region's Bedrock endpoints: public, FIPS, and the VPC endpoint names.
func awsEndpointPatterns(region string) []hostPattern {
	var out []hostPattern
	for _, service := range []string{"bedrock-runtime", "bedrock"} {
		for _, h := range []string{
			service + "." + region + ".amazonaws.com",
			service + "-fips." + region + ".amazonaws.com",
			"vpce-*." + service + "." + region + ".vpce.amazonaws.com",
			"*.vpce-*." + service + "." + region + ".vpce.amazonaws.com",
		} {
			hp, _ := parseHostPattern(h) // built from a validated region: cannot fail
			out = append(out, hp)
		}
	}
	return out
}

// Request is what a decision depends on: where an object lives and what it asks to use.
type Request struct {
	Namespace       string
	NamespaceLabels map[string]string
	Region          string
	// Endpoint is spec.endpoint; empty means the region's public endpoint.
	Endpoint string
	RoleARN  string
	// OwnCredentials says the object brings its own keys (spec.credentials): the operator's
	// identity signs nothing for it.
	OwnCredentials bool
}

// Decision is the outcome: allowed, or refused by a rule.
type Decision struct {
	Allowed bool
	// Rule is the rule that refused (RuleDefaultCredentials, …); empty when allowed.
	Rule string
	// Message says why, for status and Events.
	Message string
	// ExternalID is the external id AssumeRole sends, from the grant that allowed the role.
	ExternalID string
}

func refuse(rule, format string, args ...any) Decision {
	return Decision{Rule: rule, Message: "refused by tenancy policy rule " + rule + ": " + fmt.Sprintf(format, args...)}
}

// Decide says whether an object may run under the policy. It is a pure function of the
// request and the policy.
func (p *Policy) Decide(req Request) Decision {
	if d := p.decideEndpoint(req); !d.Allowed {
		return d
	}
	return p.decideIdentity(req)
}

func (p *Policy) decideEndpoint(req Request) Decision {
	scheme, host, port := "https", "bedrock-runtime."+req.Region+".amazonaws.com", ""
	if req.Endpoint != "" {
		u, err := url.Parse(req.Endpoint)
		if err != nil || u.Host == "" {
			return refuse(RuleEndpointHosts, "endpoint %q is not a URL", req.Endpoint)
		}
		scheme, host, port = u.Scheme, strings.ToLower(strings.TrimSuffix(u.Hostname(), ".")), u.Port()
		if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
			port = ""
		}
	}
	if scheme == "http" && !p.allowHTTP {
		return refuse(RuleEndpointHTTP, "endpoint %s is plain http, and the policy allows https only", req.Endpoint)
	}
	var allowed []string
	if p.awsDefaults {
		for _, hp := range awsEndpointPatterns(req.Region) {
			if hp.matches(host, port) {
				return Decision{Allowed: true}
			}
		}
		allowed = append(allowed, "the AWS Bedrock endpoints of "+req.Region)
	}
	for _, hp := range p.hosts {
		if hp.matches(host, port) {
			return Decision{Allowed: true}
		}
		allowed = append(allowed, hp.text)
	}
	what := "the region's public endpoint " + host
	if req.Endpoint != "" {
		what = "endpoint host " + host
		if port != "" {
			what += " port " + port
		}
	}
	if len(allowed) == 0 {
		allowed = []string{"none"}
	}
	return refuse(RuleEndpointHosts, "%s is not an allowed endpoint (allowed: %s)", what, strings.Join(allowed, ", "))
}

func (p *Policy) decideIdentity(req Request) Decision {
	chain := p.defaultCredentials.matches(req.Namespace, req.NamespaceLabels)
	if req.RoleARN != "" {
		for _, g := range p.roles {
			if g.namespaces.matches(req.Namespace, req.NamespaceLabels) &&
				slices.ContainsFunc(g.arns, func(re *regexp.Regexp) bool { return re.MatchString(req.RoleARN) }) {
				return Decision{Allowed: true, ExternalID: g.externalID}
			}
		}
		switch {
		case req.OwnCredentials:
			// The object's own keys assume the role; AWS decides, not the operator's identity.
			return Decision{Allowed: true}
		case p.roles == nil && chain:
			return Decision{Allowed: true}
		case p.roles == nil:
			return refuse(RuleRoles, "namespace %s may not assume role %s through the operator's identity: the policy grants no roles, and %s allows %s only",
				req.Namespace, req.RoleARN, RuleDefaultCredentials, p.defaultCredentials.describe)
		default:
			return refuse(RuleRoles, "no grant lets namespace %s assume role %s", req.Namespace, req.RoleARN)
		}
	}
	if req.OwnCredentials || chain {
		return Decision{Allowed: true}
	}
	return refuse(RuleDefaultCredentials, "namespace %s may not use the operator's own AWS credentials (allowed: %s)",
		req.Namespace, p.defaultCredentials.describe)
}

// SelectsByLabel says whether the policy selects namespaces by label, so that deciding needs
// the namespace's labels.
func (p *Policy) SelectsByLabel() bool {
	if p.defaultCredentials.selector != nil {
		return true
	}
	for _, g := range p.roles {
		if g.namespaces.selector != nil {
			return true
		}
	}
	return false
}
