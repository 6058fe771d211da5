// Package assets embeds the application's static data: the icon, the
// substitute-character table and the demo registry data. It imports nothing
// of madoguchi.
package assets
