package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ModelCertificationSetSpec selects models from the Bedrock catalog of each region and says how
// to certify each.
type ModelCertificationSetSpec struct {
	// regions are the AWS regions whose catalogs are listed; one certification is made per
	// selected model and region.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=32
	// +kubebuilder:validation:items:Pattern=`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$`
	Regions []string `json:"regions"`

	// models selects among the foundation models ListFoundationModels returns in each region.
	// +required
	Models ModelSelector `json:"models"`

	// template is the spec of every certification the set makes, but for model and region.
	// +optional
	// +kubebuilder:default={}
	Template CertificationTemplate `json:"template,omitempty"`

	// discoveryInterval is how often each region's catalog is listed again; a spec change lists
	// it at once.
	// +optional
	// +kubebuilder:default="24h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s')",message="must be at least 1s"
	DiscoveryInterval *metav1.Duration `json:"discoveryInterval,omitempty"`

	// pruning says what happens to a certification whose model left the catalog or the
	// selector: Delete deletes it (its own deletionPolicy then applies to the database row),
	// Orphan releases it from the set and keeps it.
	// +optional
	// +kubebuilder:default=Delete
	// +kubebuilder:validation:Enum=Delete;Orphan
	Pruning PruningPolicy `json:"pruning,omitempty"`

	// suspend stops discovery and changes to the certifications; their own schedules go on.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// PruningPolicy says what happens to a certification no longer selected.
type PruningPolicy string

const (
	// PruningDelete deletes the certification.
	PruningDelete PruningPolicy = "Delete"
	// PruningOrphan releases the certification from the set.
	PruningOrphan PruningPolicy = "Orphan"
)

// ModelSelector selects foundation models. Every field that is set must match; modelIds are
// added whatever the other fields say, when the region's catalog lists them.
// +kubebuilder:validation:XValidation:rule="has(self.providers) || has(self.include) || has(self.modelIds) || has(self.outputModalities) || has(self.inputModalities) || has(self.inferenceTypes)",message="select models by at least one of providers, include, modelIds, outputModalities, inputModalities or inferenceTypes"
type ModelSelector struct {
	// providers match the provider name the catalog gives (Amazon, Anthropic, Meta, …),
	// case-insensitively. Empty means any.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=64
	Providers []string `json:"providers,omitempty"`

	// include are model-id globs (* matches any characters, ? one); a model must match one.
	// Empty means any.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	Include []string `json:"include,omitempty"`

	// exclude are model-id globs; a model matching one is not selected (modelIds excepted).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	Exclude []string `json:"exclude,omitempty"`

	// outputModalities: a model must produce one of these (TEXT, IMAGE, EMBEDDING, …). Empty means any.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:Enum=TEXT;IMAGE;EMBEDDING;SPEECH;VIDEO
	OutputModalities []string `json:"outputModalities,omitempty"`

	// inputModalities: a model must accept one of these. Empty means any.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:Enum=TEXT;IMAGE;EMBEDDING;SPEECH;VIDEO
	InputModalities []string `json:"inputModalities,omitempty"`

	// inferenceTypes: a model must support one of these (ON_DEMAND, PROVISIONED,
	// INFERENCE_PROFILE). Empty means any.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=3
	// +kubebuilder:validation:items:Enum=ON_DEMAND;PROVISIONED;INFERENCE_PROFILE
	InferenceTypes []string `json:"inferenceTypes,omitempty"`

	// lifecycle: a model's lifecycle status must be one of these.
	// +optional
	// +listType=set
	// +kubebuilder:default={ACTIVE}
	// +kubebuilder:validation:MaxItems=2
	// +kubebuilder:validation:items:Enum=ACTIVE;LEGACY
	Lifecycle []string `json:"lifecycle,omitempty"`

	// modelIds are selected in every region whose catalog lists them, whatever the other fields say.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MinLength=3
	// +kubebuilder:validation:items:MaxLength=256
	ModelIDs []string `json:"modelIds,omitempty"`
}

// ConditionDiscovered says whether a set listed every region's catalog at its last discovery.
// A set also has Ready, Reconciling and Stalled, as a certification does.
const ConditionDiscovered = "Discovered"

// PhaseCount counts children by phase.
type PhaseCount struct {
	// pending counts the children waiting for their first run.
	// +optional
	Pending int32 `json:"pending,omitempty"`
	// processing counts the children with a run in progress.
	// +optional
	Processing int32 `json:"processing,omitempty"`
	// certified counts the children whose verdict is Certified.
	// +optional
	Certified int32 `json:"certified,omitempty"`
	// qualityWarning counts the children whose verdict is QualityWarning.
	// +optional
	QualityWarning int32 `json:"qualityWarning,omitempty"`
	// failed counts the children whose verdict is Failed.
	// +optional
	Failed int32 `json:"failed,omitempty"`
}

// RegionCount counts the children of one region by phase.
type RegionCount struct {
	// region is the AWS region.
	Region string `json:"region"`
	// models is the number of children in the region.
	Models int32 `json:"models"`
	// phases counts them by phase.
	Phases PhaseCount `json:"phases"`
}

// BadgeCount counts the children with one badge.
type BadgeCount struct {
	// badge is PREMIUM, RECOMMENDED, FUNCTIONAL, LIMITED, NOT_RECOMMENDED or UNAVAILABLE.
	Badge string `json:"badge"`
	// count is the number of children with it.
	Count int32 `json:"count"`
}

// UncertifiedChild is a child of the set whose verdict is not (or not yet) Certified.
type UncertifiedChild struct {
	// name is the ModelCertification's name.
	Name string `json:"name"`
	// modelId is its model.
	ModelID string `json:"modelId"`
	// region is its region.
	Region string `json:"region"`
	// phase is its phase.
	// +optional
	Phase Phase `json:"phase,omitempty"`
	// category is its error category.
	// +optional
	Category string `json:"category,omitempty"`
}

// DiscoveryFailure is a region whose catalog could not be listed.
type DiscoveryFailure struct {
	// region is the AWS region.
	Region string `json:"region"`
	// category is the error category (PERMISSION_ERROR, AUTHENTICATION_ERROR, …).
	// +optional
	Category string `json:"category,omitempty"`
	// message is a short reason.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Message string `json:"message,omitempty"`
}

// SetUsage is what a set's certifications spent in their last runs.
type SetUsage struct {
	// inputTokens sums the children's status.usage.inputTokens.
	InputTokens int64 `json:"inputTokens"`
	// outputTokens sums the children's status.usage.outputTokens.
	OutputTokens int64 `json:"outputTokens"`
}

// MaxUncertifiedListed caps status.notCertified.
const MaxUncertifiedListed = 20

// ModelCertificationSetStatus aggregates the set's children.
type ModelCertificationSetStatus struct {
	// models is the number of certifications the set owns.
	// +optional
	Models int32 `json:"models,omitempty"`
	// phases counts them by phase.
	// +optional
	Phases PhaseCount `json:"phases,omitempty"`
	// badges counts them by badge (children without a verdict are not counted).
	// +optional
	// +listType=map
	// +listMapKey=badge
	// +kubebuilder:validation:MaxItems=8
	Badges []BadgeCount `json:"badges,omitempty"`
	// regions counts them per region.
	// +optional
	// +listType=map
	// +listMapKey=region
	// +kubebuilder:validation:MaxItems=32
	Regions []RegionCount `json:"regions,omitempty"`
	// usage sums the tokens the children's last runs spent.
	// +optional
	Usage *SetUsage `json:"usage,omitempty"`
	// regionCount is the number of regions in spec.regions, for the printer column.
	// +optional
	RegionCount int32 `json:"regionCount,omitempty"`
	// notCertified lists at most 20 children whose phase is not Certified, failed first.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	NotCertified []UncertifiedChild `json:"notCertified,omitempty"`
	// discoveryFailures are the regions whose catalog the last discovery could not list; their
	// children are kept as they were.
	// +optional
	// +listType=map
	// +listMapKey=region
	// +kubebuilder:validation:MaxItems=32
	DiscoveryFailures []DiscoveryFailure `json:"discoveryFailures,omitempty"`
	// conflicts are the names of certifications the set would make but another owner (or none)
	// holds; the set leaves them alone.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=20
	Conflicts []string `json:"conflicts,omitempty"`
	// lastDiscoveredAt is when every region's catalog was last listed (successfully or not).
	// +optional
	LastDiscoveredAt *metav1.Time `json:"lastDiscoveredAt,omitempty"`
	// observedGeneration is the spec generation this status reflects; 0 until the controller
	// has seen the set, so that kstatus and Argo CD read a new set as in progress.
	// +optional
	// +kubebuilder:default=0
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// conditions are Ready, Discovered, Reconciling and Stalled.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ModelCertificationSet certifies a fleet: one ModelCertification per model it selects from
// each region's Bedrock catalog. It never runs checks itself.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=mcertset,categories=modelcert
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="a set's name must be at most 63 characters: it labels the certifications the set owns"
// +kubebuilder:printcolumn:name="Models",type=integer,JSONPath=`.status.models`
// +kubebuilder:printcolumn:name="Certified",type=integer,JSONPath=`.status.phases.certified`
// +kubebuilder:printcolumn:name="Warning",type=integer,JSONPath=`.status.phases.qualityWarning`
// +kubebuilder:printcolumn:name="Failed",type=integer,JSONPath=`.status.phases.failed`
// +kubebuilder:printcolumn:name="Regions",type=integer,JSONPath=`.status.regionCount`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`,priority=1
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
type ModelCertificationSet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec selects the models and regions and says how to certify them.
	// +required
	Spec ModelCertificationSetSpec `json:"spec"`

	// status aggregates the certifications the set owns.
	// +optional
	// +kubebuilder:default={}
	Status ModelCertificationSetStatus `json:"status,omitempty"`
}

// ModelCertificationSetList is a list of ModelCertificationSets.
// +kubebuilder:object:root=true
type ModelCertificationSetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ModelCertificationSet `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ModelCertificationSet{}, &ModelCertificationSetList{})
}
