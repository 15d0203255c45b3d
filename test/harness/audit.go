package harness

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// AuditEntry is the part of a kube-apiserver audit event (audit.k8s.io/v1, level Metadata) that
// the harness reads.
type AuditEntry struct {
	Verb string `json:"verb"`
	User struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
	} `json:"objectRef"`
	ResponseStatus struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	StageTimestamp time.Time `json:"stageTimestamp"`
}

// ReadAudit calls fn for every entry of the audit log at path.
func ReadAudit(path string, fn func(AuditEntry)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 1<<20), 16<<20)
	for scanner.Scan() {
		var e AuditEntry
		if err := json.Unmarshal(scanner.Bytes(), &e); err != nil {
			return fmt.Errorf("audit log %s: %w", path, err)
		}
		fn(e)
	}
	return scanner.Err()
}

// Writes counts the manager's successful writes in a time window, from the audit log.
type Writes struct {
	// Object counts writes of ModelCertification objects themselves (finalizers, metadata);
	// Status counts writes of their status subresource; Events counts created or updated Events.
	Object, Status, Events int
	// Conflicts counts writes the API server refused with 409.
	Conflicts int
	// StatusPerObject is Status by object name.
	StatusPerObject map[string]int
}

// Total is every successful write.
func (w Writes) Total() int { return w.Object + w.Status + w.Events }

// CountWrites counts the writes ManagerUser made in namespace between from and to.
func CountWrites(path, namespace string, from, to time.Time) (Writes, error) {
	w := Writes{StatusPerObject: map[string]int{}}
	err := ReadAudit(path, func(e AuditEntry) {
		if e.User.Username != ManagerUser || e.ObjectRef.Namespace != namespace ||
			e.StageTimestamp.Before(from) || e.StageTimestamp.After(to) {
			return
		}
		if e.ResponseStatus.Code == 409 {
			w.Conflicts++
			return
		}
		if e.ResponseStatus.Code >= 300 {
			return
		}
		switch {
		case e.ObjectRef.Resource == "events":
			w.Events++
		case e.ObjectRef.Resource == "modelcertifications" && e.ObjectRef.Subresource == "status":
			w.Status++
			w.StatusPerObject[e.ObjectRef.Name]++
		case e.ObjectRef.Resource == "modelcertifications":
			w.Object++
		}
	})
	return w, err
}
