package bundle

import (
	"slices"
	"strings"

	"github.com/dagdeck/dagdeck"
)

// CodeState returns the manifests whose files together are a deploy's whole
// code, as a runtime materializes it: the image without its dags/ folder
// when there is a DAG bundle (the bundle's DAGs replace it), then the DAG
// bundle. Either may be nil (a deploy without that part). image is not
// modified.
func CodeState(image, dags *dagdeck.Manifest) []*dagdeck.Manifest {
	var ms []*dagdeck.Manifest
	if image != nil {
		if dags != nil {
			c := *image
			c.Files = slices.DeleteFunc(slices.Clone(image.Files), func(f dagdeck.ManifestFile) bool {
				return strings.HasPrefix(f.Path, DAGDir+"/")
			})
			image = &c
		}
		ms = append(ms, image)
	}
	if dags != nil {
		ms = append(ms, dags)
	}
	return ms
}
