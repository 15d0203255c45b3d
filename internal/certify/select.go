package certify

import (
	"fmt"
	"slices"
	"strings"
)

// Select resolves include and exclude lists of check names into the checks to run, in report
// order. An empty include list means every check; exclude wins over include. Availability is
// always selected, even when excluded: it is the pre-flight that gates the rest, not a test the
// user may waive. Unknown names are an error that names them and lists the valid ones.
func Select(include, exclude []string) ([]string, error) {
	valid := CheckNames()
	var unknown []string
	for _, name := range slices.Concat(include, exclude) {
		if !slices.Contains(valid, name) && !slices.Contains(unknown, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		noun := "check"
		if len(unknown) > 1 {
			noun = "checks"
		}
		return nil, fmt.Errorf("unknown %s %s (valid checks: %s)", noun, quoteList(unknown), strings.Join(valid, ", "))
	}
	selected := []string{CheckAvailability}
	for _, name := range valid[1:] {
		if (len(include) == 0 || slices.Contains(include, name)) && !slices.Contains(exclude, name) {
			selected = append(selected, name)
		}
	}
	return selected, nil
}

func quoteList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(quoted, ", ")
}
