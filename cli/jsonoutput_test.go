package cli

import (
	"testing"

	"github.com/spf13/cobra"
)

// TestJSONOutput: commands added to the root from elsewhere (admin token,
// export, migrate) see -o json through JSONOutput.
func TestJSONOutput(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want bool
	}{{[]string{"probe", "-o", "json"}, true}, {[]string{"probe"}, false}, {[]string{"probe", "-o", "table"}, false}} {
		root := NewRootCommand("test")
		var got bool
		root.AddCommand(&cobra.Command{Use: "probe", RunE: func(cmd *cobra.Command, _ []string) error {
			got = JSONOutput(cmd)
			return nil
		}})
		root.SetArgs(tt.args)
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("%v: JSONOutput = %v, want %v", tt.args, got, tt.want)
		}
	}
}
