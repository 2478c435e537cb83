// Package web is bcflow's merchant dashboard: static files (HTML, CSS, ES
// modules and the vendored uPlot) embedded in the binary, so `bcflow dev`
// and `bcflow api` serve it with no Node and no build step. The files call
// the admin JSON API; the api package mounts them at /app/ and owns sign-in.
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var files embed.FS

// FS returns the dashboard's files, rooted at the folder that holds
// index.html. Third-party files sit under vendor/<package>-<version>/,
// written by scripts/pin-frontend.
func FS() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic("web: embedded static folder: " + err.Error()) // cannot happen: the folder is embedded
	}
	return sub
}
