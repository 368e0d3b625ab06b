package main

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestReadmeGrantsMatchTested compares the GRANT statements of the README's install guide with
// grantStatements, which TestDocumentedGrantsAreEnough runs the daemon with. The README states
// that it lists the tested grants.
func TestReadmeGrantsMatchTested(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}

	var documented []string
	for line := range strings.Lines(string(readme)) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "GRANT ") {
			continue
		}
		line = strings.TrimSuffix(line, ";")
		line = strings.ReplaceAll(line, " whmcs.", " `%[1]s`.")
		line = strings.ReplaceAll(line, "'ostorbridge'@'localhost'", "%[2]s")
		documented = append(documented, line)
	}

	for _, grant := range documented {
		if !slices.Contains(grantStatements, grant) {
			t.Errorf("README lists %q, which the grants test does not grant", grant)
		}
	}
	for _, grant := range grantStatements {
		if !slices.Contains(documented, grant) {
			t.Errorf("the grants test uses %q, which the README does not list", grant)
		}
	}
}
