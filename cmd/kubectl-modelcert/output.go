package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

// The -o formats: the table is the default, wide adds columns, json and yaml print the
// structured form.
const (
	outputTable = ""
	outputWide  = "wide"
	outputJSON  = "json"
	outputYAML  = "yaml"
)

// addOutputFlag binds -o/--output to format.
func addOutputFlag(cmd *cobra.Command, format *string, wide string) {
	cmd.Flags().StringVarP(format, "output", "o", outputTable,
		"output format: json, yaml or wide ("+wide+")")
}

func validateOutput(format string) error {
	switch format {
	case outputTable, outputWide, outputJSON, outputYAML:
		return nil
	}
	return fmt.Errorf("-o/--output %q is not a format: want json, yaml or wide", format)
}

// structured reports whether format prints the structured form rather than a table.
func structured(format string) bool { return format == outputJSON || format == outputYAML }

// printStructured writes v as JSON or YAML.
func printStructured(w io.Writer, format string, v any) error {
	var out []byte
	var err error
	if format == outputJSON {
		out, err = json.MarshalIndent(v, "", "    ")
		out = append(out, '\n')
	} else {
		out, err = yaml.Marshal(v)
	}
	if err != nil {
		return fmt.Errorf("encode %s: %w", format, err)
	}
	_, err = w.Write(out)
	return err
}
