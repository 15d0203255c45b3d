package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ModelCertificationSpec names the model to certify, where, and under which policy.
type ModelCertificationSpec struct {
	// modelId is the Bedrock model id (for example amazon.nova-lite-v1:0), inference-profile id
	// (for example us.anthropic.claude-3-5-sonnet-20240620-v1:0) or inference-profile ARN to certify.
	// +required
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^(([a-z]{2,7}\.)?[a-z0-9-]+\.[A-Za-z0-9._:-]+|arn:aws[a-z-]*:bedrock:[a-z0-9-]+:[0-9]{12}:[a-z-]+/[A-Za-z0-9._:/-]+)$`
	ModelID string `json:"modelId"`

	// region is the AWS region to call the model in, for example us-east-1.
	// +required
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$`
	Region string `json:"region"`

	CertificationTemplate `json:",inline"`
}

// CertificationTemplate is everything of a certification but its model and region: the part a
// ModelCertificationSet gives all its children.
// +kubebuilder:validation:XValidation:rule="!has(self.recertifyAfter) || duration(self.recertifyAfter) + duration(has(self.timeouts) && has(self.timeouts.perRun) ? self.timeouts.perRun : '10m') <= duration(has(self.validFor) ? self.validFor : '168h')",message="recertifyAfter + timeouts.perRun must not exceed validFor, or the verdict would expire before the next run renews it",fieldPath=".recertifyAfter"
// +kubebuilder:validation:XValidation:rule="has(self.recertifyAfter) || duration(has(self.validFor) ? self.validFor : '168h') - duration(has(self.timeouts) && has(self.timeouts.perRun) ? self.timeouts.perRun : '10m') > duration(has(self.timeouts) && has(self.timeouts.perRun) ? self.timeouts.perRun : '10m')",message="validFor must exceed twice timeouts.perRun, the lead the default recertifyAfter leaves for the next run; set recertifyAfter to choose another",fieldPath=".validFor"
// +kubebuilder:validation:XValidation:rule="!has(self.policy) || !has(self.policy.requiredChecks) || !has(self.checks) || !has(self.checks.exclude) || !self.policy.requiredChecks.exists(c, c in self.checks.exclude)",message="a required check cannot be excluded"
// +kubebuilder:validation:XValidation:rule="!has(self.policy) || !has(self.policy.requiredChecks) || !has(self.checks) || !has(self.checks.include) || size(self.checks.include) == 0 || self.policy.requiredChecks.all(c, c == 'availability' || c in self.checks.include)",message="a required check must be among checks.include"
type CertificationTemplate struct {
	// provider is the service that hosts the model. Only bedrock is supported.
	// +optional
	// +kubebuilder:default=bedrock
	// +kubebuilder:validation:Enum=bedrock
	Provider string `json:"provider,omitempty"`

	// endpoint overrides the service endpoint, for VPC endpoints or a Bedrock simulator.
	// Empty means the region's public endpoint. The operator's tenancy policy must allow it.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && (self.startsWith('https://') || self.startsWith('http://'))",message="endpoint must be an http or https URL"
	Endpoint string `json:"endpoint,omitempty"`

	// credentials selects the AWS credentials. Empty means the operator's default AWS credential
	// chain (environment, web identity/IRSA, EKS Pod Identity, instance role), where the
	// operator's tenancy policy allows this namespace to use it.
	// +optional
	Credentials *Credentials `json:"credentials,omitempty"`

	// roleArn is an IAM role to assume (through STS) on top of the base credentials, in a
	// session named modelcert-<namespace>-<name> and tagged with both. Through the operator's
	// own credentials, the operator's tenancy policy must grant it to this namespace.
	// +optional
	// +kubebuilder:validation:Pattern=`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`
	RoleARN string `json:"roleArn,omitempty"`

	// checks selects which checks of the battery run. Empty runs every check the model supports.
	// +optional
	Checks *CheckSelection `json:"checks,omitempty"`

	// policy sets the score thresholds of the verdict.
	// +optional
	// +kubebuilder:default={}
	Policy CertificationPolicy `json:"policy,omitempty"`

	// timeouts bounds each check and the whole run.
	// +optional
	// +kubebuilder:default={}
	Timeouts Timeouts `json:"timeouts,omitempty"`

	// budget bounds what one run may spend.
	// +optional
	Budget *Budget `json:"budget,omitempty"`

	// validFor is how long a verdict stays valid after its run completes.
	// +optional
	// +kubebuilder:default="168h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	ValidFor *metav1.Duration `json:"validFor,omitempty"`

	// recertifyAfter is how long after a completed run the next run starts. Empty means
	// validFor - 2×timeouts.perRun: the next run has its own bound, and as long again to wait for
	// a slot, to renew the verdict before it expires. recertifyAfter + timeouts.perRun must not
	// exceed validFor.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	RecertifyAfter *metav1.Duration `json:"recertifyAfter,omitempty"`

	// suspend stops new runs. A run in progress finishes; the current verdict is kept.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// deletionPolicy says what happens to the database row when the object is deleted:
	// Retain keeps it (marked deleted), Delete removes it. History is always kept.
	// +optional
	// +kubebuilder:default=Retain
	// +kubebuilder:validation:Enum=Retain;Delete
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
}

// DeletionPolicy says what happens to the database row when the object is deleted.
type DeletionPolicy string

const (
	// DeletionPolicyRetain keeps the row, marked deleted.
	DeletionPolicyRetain DeletionPolicy = "Retain"
	// DeletionPolicyDelete removes the row.
	DeletionPolicyDelete DeletionPolicy = "Delete"
)

// Credentials selects the AWS credentials of a certification.
type Credentials struct {
	// secretRef names a Secret in the object's namespace with the keys accessKeyId and
	// secretAccessKey, and optionally sessionToken.
	// +required
	SecretRef SecretReference `json:"secretRef"`
}

// SecretReference names a Secret in the same namespace.
type SecretReference struct {
	// name is the Secret's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// CheckName names a check of the battery.
// +kubebuilder:validation:Enum=availability;basic-prompt;streaming;parameters;error-handling;consistency;system-prompt;multi-turn;max-tokens;stop-sequence;json-output;tool-use;text-generation;vision
type CheckName string

// CheckSelection selects checks by name.
// +kubebuilder:validation:XValidation:rule="!has(self.include) || !has(self.exclude) || !self.include.exists(c, c in self.exclude)",message="a check cannot be both included and excluded"
type CheckSelection struct {
	// include runs only these checks (availability always runs). Empty means all.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	Include []CheckName `json:"include,omitempty"`

	// exclude skips these checks.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	Exclude []CheckName `json:"exclude,omitempty"`
}

// CertificationPolicy sets the score thresholds of the verdict and the checks it requires.
// +kubebuilder:validation:XValidation:rule="!has(self.warnScore) || !has(self.certifyScore) || self.warnScore <= self.certifyScore",message="warnScore must not exceed certifyScore"
type CertificationPolicy struct {
	// certifyScore is the lowest score (percent of the checks run that passed) that certifies.
	// +optional
	// +kubebuilder:default=80
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	CertifyScore *int32 `json:"certifyScore,omitempty"`

	// warnScore is the lowest score that gives QualityWarning rather than Failed.
	// +optional
	// +kubebuilder:default=60
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	WarnScore *int32 `json:"warnScore,omitempty"`

	// requiredChecks must pass: one that fails, or is skipped because the model lacks what it
	// exercises, makes the verdict Failed whatever the score. A required check must not be
	// excluded, and must be included when checks.include is set.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	RequiredChecks []CheckName `json:"requiredChecks,omitempty"`
}

// Timeouts bounds each check and the whole run.
// +kubebuilder:validation:XValidation:rule="!has(self.perCheck) || !has(self.perRun) || duration(self.perCheck) <= duration(self.perRun)",message="perCheck must not exceed perRun"
type Timeouts struct {
	// perCheck bounds one check, retries included.
	// +optional
	// +kubebuilder:default="60s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) > duration('0s')",message="must be a positive duration"
	PerCheck *metav1.Duration `json:"perCheck,omitempty"`

	// perRun bounds the whole run.
	// +optional
	// +kubebuilder:default="10m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) > duration('0s') && duration(self) <= duration('24h')",message="must be a positive duration of at most 24h"
	PerRun *metav1.Duration `json:"perRun,omitempty"`
}

// Budget bounds what one run may spend.
type Budget struct {
	// maxTokensPerRun is the most tokens (input plus output) a run may spend. Once the run's
	// usage reaches it, no further model call is made and every check not yet done is Skipped;
	// calls already in flight finish, so a run can exceed it by their usage.
	// +required
	// +kubebuilder:validation:Minimum=1
	MaxTokensPerRun int64 `json:"maxTokensPerRun"`
}

// MaxTokens is the run's token budget; 0 (none) for a nil budget.
func (b *Budget) MaxTokens() int64 {
	if b == nil {
		return 0
	}
	return b.MaxTokensPerRun
}

// Phase is where a certification stands.
// +kubebuilder:validation:Enum=Pending;Processing;Certified;QualityWarning;Failed
type Phase string

// The phases of a certification.
const (
	PhasePending        Phase = "Pending"
	PhaseProcessing     Phase = "Processing"
	PhaseCertified      Phase = "Certified"
	PhaseQualityWarning Phase = "QualityWarning"
	PhaseFailed         Phase = "Failed"
)

// Condition types of a ModelCertification.
const (
	// ConditionReady is the aggregate that kstatus and Argo CD read.
	ConditionReady = "Ready"
	// ConditionCertified is the verdict of the last completed run; kept while a new run is in progress.
	ConditionCertified = "Certified"
	// ConditionModelAvailable says whether the model could be reached and invoked.
	ConditionModelAvailable = "ModelAvailable"
	// ConditionDatabaseSynced says whether the PostgreSQL mirror holds the current status.
	ConditionDatabaseSynced = "DatabaseSynced"
	// ConditionProgressing is true while a run is in progress.
	ConditionProgressing = "Progressing"
	// ConditionReconciling is kstatus's: present and true while a run is in progress or due.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is kstatus's: present and true for a settled negative verdict (Failed,
	// QualityWarning, Expired) or an object suspended before its first run.
	ConditionStalled = "Stalled"
)

// CheckCounts counts the checks of a run by result.
type CheckCounts struct {
	// total is the number of checks in the run.
	Total int32 `json:"total"`
	// passed is the number of checks that passed.
	Passed int32 `json:"passed"`
	// failed is the number of checks that failed.
	Failed int32 `json:"failed"`
	// skipped is the number of checks not run, because the model lacks the capability or
	// the run ended early.
	Skipped int32 `json:"skipped"`
}

// FailedCheck is a check that failed, with a short reason.
type FailedCheck struct {
	// name is the check's name.
	Name string `json:"name"`
	// category is the check's error category.
	// +optional
	Category string `json:"category,omitempty"`
	// message is a short reason.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Message string `json:"message,omitempty"`
}

// Regression records a verdict that fell below the one before it.
type Regression struct {
	// at is when the lower verdict was recorded.
	At metav1.Time `json:"at"`
	// fromPhase is the phase of the verdict before the regression.
	// +optional
	FromPhase Phase `json:"fromPhase,omitempty"`
	// fromBadge is the badge of the verdict before the regression.
	// +optional
	FromBadge string `json:"fromBadge,omitempty"`
	// checks are the checks that passed before and do not now.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	Checks []string `json:"checks,omitempty"`
}

// RequestedAtAnnotation starts one run on demand each time its value changes, also while a
// verdict is current (the convention GitOps tools use for "reconcile now").
const RequestedAtAnnotation = "certification.modelcert.io/requested-at"

// Progress counts the checks of the run in progress.
type Progress struct {
	// done is the number of checks finished.
	Done int32 `json:"done"`
	// total is the number of checks in the run.
	Total int32 `json:"total"`
}

// Usage counts the tokens a run spent.
type Usage struct {
	// inputTokens is the number of input tokens the run sent.
	InputTokens int64 `json:"inputTokens"`
	// outputTokens is the number of output tokens the model generated.
	OutputTokens int64 `json:"outputTokens"`
	// maxTokens is the run's token budget (spec.budget.maxTokensPerRun when it started); absent
	// when it had none.
	// +optional
	MaxTokens int64 `json:"maxTokens,omitempty"`
	// budgetSkippedChecks names the checks skipped because the run reached its token budget,
	// in battery order.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	BudgetSkippedChecks []string `json:"budgetSkippedChecks,omitempty"`
}

// CapabilityStatus is what a run established about one optional feature of the model.
type CapabilityStatus struct {
	// name is the capability: streaming, system-prompt, tool-use or vision.
	// +kubebuilder:validation:MaxLength=64
	Name string `json:"name"`
	// supported says whether the model has it (or, with source assumed, that it was tried).
	Supported bool `json:"supported"`
	// source says who established it: service (the runtime refused a request for lacking it, or
	// answered one that used it), control-plane (GetFoundationModel), table (the operator's
	// built-in table of model families) or assumed (nobody said otherwise).
	// +kubebuilder:validation:Enum=service;control-plane;table;assumed
	Source string `json:"source"`
	// reason is the service's message when it refused a request for lacking the capability.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Reason string `json:"reason,omitempty"`
}

// ModelCertificationStatus is the verdict of the last run and the state of the current one.
type ModelCertificationStatus struct {
	// phase is where the certification stands: Pending, Processing, Certified, QualityWarning
	// or Failed. While a re-certification runs, phase is Processing and the last verdict stays in
	// the Certified condition and the verdict fields.
	// +optional
	Phase Phase `json:"phase,omitempty"`

	// runID identifies the current (or last) run; the database rows carry it.
	// +optional
	RunID string `json:"runID,omitempty"`

	// specHash identifies the spec fields the current (or last) run used: model, region, provider,
	// endpoint, credentials, role, checks, policy and timeouts. When they change, a new run
	// starts; other edits (suspend, validity, deletion policy) do not re-run the battery.
	// +optional
	SpecHash string `json:"specHash,omitempty"`

	// attempt counts the runs started for this object, lost runs included.
	// +optional
	Attempt int32 `json:"attempt,omitempty"`

	// passed is true when the last verdict is CERTIFIED.
	// +optional
	Passed bool `json:"passed,omitempty"`

	// score is the percentage of the checks run (not skipped) that passed, one decimal.
	// +optional
	Score *float64 `json:"score,omitempty"`

	// rating is the 0–5 rating of the last verdict, one decimal.
	// +optional
	Rating *float64 `json:"rating,omitempty"`

	// badge is the rating's badge: PREMIUM, RECOMMENDED, FUNCTIONAL, LIMITED, NOT_RECOMMENDED
	// or UNAVAILABLE.
	// +optional
	Badge string `json:"badge,omitempty"`

	// errorCategory is the most severe error category among the last run's checks, empty when
	// all passed.
	// +optional
	ErrorCategory string `json:"errorCategory,omitempty"`

	// errorMessage is a short reason for the error category.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	ErrorMessage string `json:"errorMessage,omitempty"`

	// checks counts the last run's checks by result.
	// +optional
	Checks *CheckCounts `json:"checks,omitempty"`

	// failedChecks lists at most 10 failed checks of the last run, most severe first.
	// The full per-check results are in the certification_runs table.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	FailedChecks []FailedCheck `json:"failedChecks,omitempty"`

	// progress counts the checks of the run in progress.
	// +optional
	Progress *Progress `json:"progress,omitempty"`

	// usage counts the tokens the last run spent.
	// +optional
	Usage *Usage `json:"usage,omitempty"`

	// startedAt is when the current (or last) run started.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`

	// completedAt is when the last run completed.
	// +optional
	CompletedAt *metav1.Time `json:"completedAt,omitempty"`

	// durationMs is how long the last run took, in milliseconds.
	// +optional
	DurationMs int64 `json:"durationMs,omitempty"`

	// lastCertifiedAt is when a run last ended CERTIFIED.
	// +optional
	LastCertifiedAt *metav1.Time `json:"lastCertifiedAt,omitempty"`

	// validUntil is when the last verdict expires (completedAt + validFor).
	// +optional
	ValidUntil *metav1.Time `json:"validUntil,omitempty"`

	// nextRunAt is when the next run is due; empty while suspended or running.
	// +optional
	NextRunAt *metav1.Time `json:"nextRunAt,omitempty"`

	// consecutiveTemporaryFailures counts the runs in a row, up to the last one, whose verdict
	// was a temporary failure (throttling, timeouts, network, 5xx, a model not ready); the
	// next run after one comes after a backoff that grows with it. Zero after any other verdict.
	// +optional
	// +kubebuilder:validation:Minimum=0
	ConsecutiveTemporaryFailures int32 `json:"consecutiveTemporaryFailures,omitempty"`

	// regression is set when a run's verdict fell below the one before it (a Certified object
	// whose new verdict is not, or a lower badge); cleared by the next verdict that is not lower.
	// +optional
	Regression *Regression `json:"regression,omitempty"`

	// lastHandledRequestedAt is the value of the annotation
	// certification.modelcert.io/requested-at last handled: it started a run, or was ignored
	// because the object was suspended. A value over 64 characters is recorded as its SHA-256
	// digest (sha256:…).
	// +optional
	// +kubebuilder:validation:MaxLength=64
	LastHandledRequestedAt string `json:"lastHandledRequestedAt,omitempty"`

	// capabilities are what the last run established about the model's optional features, and
	// who said so.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Capabilities []CapabilityStatus `json:"capabilities,omitempty"`

	// observedGeneration is the spec generation this status reflects; 0 until the controller
	// has seen the object, so that kstatus and Argo CD read a new object as in progress.
	// +optional
	// +kubebuilder:default=0
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions are Ready, Certified, ModelAvailable, DatabaseSynced and Progressing, and
	// kstatus's Reconciling and Stalled, each present only while true.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ModelCertification certifies a model in a region: the controller runs a battery of checks
// against it, judges the results and records the verdict here and in PostgreSQL.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=mcert,categories=modelcert
// +kubebuilder:printcolumn:name="Model",type=string,JSONPath=`.spec.modelId`
// +kubebuilder:printcolumn:name="Region",type=string,JSONPath=`.spec.region`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Score",type=number,JSONPath=`.status.score`
// +kubebuilder:printcolumn:name="Rating",type=number,JSONPath=`.status.rating`
// +kubebuilder:printcolumn:name="Badge",type=string,JSONPath=`.status.badge`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`,priority=1
// +kubebuilder:printcolumn:name="Valid-Until",type=string,JSONPath=`.status.validUntil`,priority=1
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
type ModelCertification struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec names the model to certify and the policy.
	// +required
	Spec ModelCertificationSpec `json:"spec"`

	// status is the verdict, written by the controller.
	// +optional
	// +kubebuilder:default={}
	Status ModelCertificationStatus `json:"status,omitempty"`
}

// ModelCertificationList is a list of ModelCertifications.
// +kubebuilder:object:root=true
type ModelCertificationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ModelCertification `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ModelCertification{}, &ModelCertificationList{})
}
