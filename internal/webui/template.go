package webui

import "html/template"

// pageTemplate is every page: the front page (pins), a group, an array,
// an error. html/template escapes each value for where it lands (text,
// attribute, URL), which is what keeps a dataset's attributes — anyone's
// text — from becoming markup.
var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.2em 2em; color: #222; }
h1 { font-size: 1.25em; } h2 { font-size: 1.05em; margin-top: 1.4em; }
table { border-collapse: collapse; } td, th { padding: .2em .7em; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
code, .mono { font-family: ui-monospace, monospace; font-size: .92em; }
.crumbs a { text-decoration: none; } .kind { color: #666; }
.attr { white-space: pre-wrap; word-break: break-word; max-width: 60em; }
.steps a, .steps span { display: inline-block; margin-right: .8em; }
.steps span.off { color: #bbb; } .err { color: #a00; }
img.slice { image-rendering: pixelated; border: 1px solid #ccc; }
</style>
</head>
<body>
<header><a href="/">pinned roots</a>
{{with .Crumbs}} · <span class="crumbs">{{range $i, $c := .}}{{if $i}} / {{end}}<a href="{{$c.Href}}">{{$c.Name}}</a>{{end}}</span>{{end}}
{{with .Kind}}<span class="kind"> ({{.}})</span>{{end}}
</header>
{{if .Status}}
<h1>{{.Status}} {{.Title}}</h1>
<p class="err" id="error">{{.Error}}</p>
{{else if .Front}}
<h1>Pinned roots</h1>
{{with .Note}}<p>{{.}}</p>{{end}}
{{if .Pins}}<table id="pins">
<tr><th>name</th><th>root</th><th>kind</th></tr>
{{range .Pins}}<tr><td>{{.Name}}</td><td class="mono"><a href="{{.Href}}">{{.CID}}</a></td><td>{{.Kind}}</td></tr>
{{end}}</table>
{{if .PinsMore}}<p>… and {{.PinsMore}} more.</p>{{end}}
{{else if not .Note}}<p>No pinned roots.</p>{{end}}
<form method="get" action="/open"><p><label>Open a root: <input name="ref" size="64" placeholder="CID or /ipfs/CID/PATH"></label> <button>Open</button></p></form>
{{else if .IsGroup}}
<h1>Group {{.Heading}}</h1>
<h2>Members</h2>
{{if .Members}}<table id="members">
<tr><th>name</th><th>type</th><th>shape</th><th>data type</th><th>chunks</th><th>dimensions</th><th>codecs</th></tr>
{{range .Members}}<tr class="{{.Type}}"><td><a href="{{.Href}}">{{.Name}}</a></td><td>{{.Type}}</td><td>{{.Shape}}</td><td>{{.DType}}</td><td>{{.Chunks}}</td><td>{{.Dims}}</td><td>{{.Codecs}}{{with .Errors}}<span class="err">{{.}}</span>{{end}}</td></tr>
{{end}}</table>
{{if .Omitted}}<p>… and {{.Omitted}} more.</p>{{end}}
{{else}}<p>No members.</p>{{end}}
{{template "attrs" .}}
{{else}}{{with .Array}}
<h1>Array {{$.Heading}}</h1>
<table id="array">
<tr><th>shape</th><td>{{.Shape}}</td></tr>
<tr><th>data type</th><td>{{.DType}}</td></tr>
<tr><th>chunks</th><td>{{.Chunks}}</td></tr>
<tr><th>dimensions</th><td>{{.Dims}}</td></tr>
<tr><th>codecs</th><td>{{.Codecs}}</td></tr>
<tr><th>fill value</th><td class="mono">{{.Fill}}</td></tr>
</table>
{{if .NoImage}}<p>No image: {{.NoImage}}.</p>{{else}}
<h2>Slice</h2>
{{if .Steps}}<div class="steps" id="steps">
{{range .Steps}}<p><b>{{.Dim}}</b> {{.Index}} of 0…{{.Max}}{{with .Label}} = {{.}}{{end}}<br>
{{if .First}}<a href="{{.First}}">« first</a> <a href="{{.Prev}}" rel="prev">‹ previous</a>{{else}}<span class="off">« first</span> <span class="off">‹ previous</span>{{end}}
{{if .Next}}<a href="{{.Next}}" rel="next">next ›</a> <a href="{{.Last}}">last »</a>{{else}}<span class="off">next ›</span> <span class="off">last »</span>{{end}}</p>
{{end}}
<form method="get" action="{{.FormAction}}"><p>{{range .Steps}}<label>{{.Dim}} <input type="number" name="i" min="0" max="{{.Max}}" value="{{.Index}}"></label> {{end}}<button>Show</button></p></form>
</div>{{end}}
<p>rows: {{.Rows}}, columns: {{.Cols}}{{with .Sampled}}; {{.}}{{end}}</p>
<p><img class="slice" id="slice" src="{{.Src}}" width="{{.Width}}" height="{{.Height}}" alt="slice of {{$.Title}}"></p>
{{end}}
{{end}}{{template "attrs" .}}
{{end}}
</body>
</html>
{{define "attrs"}}<h2>Attributes</h2>
{{if .Attrs}}<table id="attrs">
{{range .Attrs}}<tr><th class="mono">{{.Key}}</th><td class="attr">{{.Value}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}{{end}}
`))
