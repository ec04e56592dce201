namespace DevMentor.Core.Code.Analysis;

/// <summary>A language's comment and string syntax, as far as line counting needs it.</summary>
/// <param name="LineComments">Markers that comment out the rest of the line (//, #, --).</param>
/// <param name="BlockComments">Opening and closing markers (/* */, &lt;!-- --&gt;).</param>
/// <param name="Strings">Quote characters that open a string ended by the same character on the same line (backslash escapes).</param>
/// <param name="MultiLineStrings">Delimiters whose strings may span lines (""" in Python, ` in JavaScript), ended by the same delimiter.</param>
/// <param name="VerbatimStrings">C#'s @"…" (doubled quotes, no escapes, may span lines).</param>
/// <param name="RawMultiLineStrings">Multi-line strings know no backslash escapes (C# raw """, Go's backquotes).</param>
/// <param name="NestedBlocks">Block comments nest (Rust, Swift, Kotlin).</param>
public sealed record LanguageSyntax(
    string Name,
    IReadOnlyList<string> LineComments,
    IReadOnlyList<(string Open, string Close)> BlockComments,
    string Strings,
    IReadOnlyList<string> MultiLineStrings,
    bool NestedBlocks = false,
    bool VerbatimStrings = false,
    bool RawMultiLineStrings = false);

/// <summary>Languages by file name: what the Files listing shows and which syntax the line counter uses.</summary>
public static class Languages
{
    private static readonly (string Open, string Close)[] CBlock = [("/*", "*/")];

    private static readonly LanguageSyntax CSharp = new("C#", ["//"], CBlock, "\"'", ["\"\"\""], VerbatimStrings: true, RawMultiLineStrings: true);
    private static readonly LanguageSyntax CFamily = new("C", ["//"], CBlock, "\"'", []);
    private static readonly LanguageSyntax JavaScript = new("JavaScript", ["//"], CBlock, "\"'", ["`"]);
    private static readonly LanguageSyntax Python = new("Python", ["#"], [], "\"'", ["\"\"\"", "'''"]);
    private static readonly LanguageSyntax Shell = new("Shell", ["#"], [], "\"'", []);
    private static readonly LanguageSyntax Rust = new("Rust", ["//"], CBlock, "\"", [], NestedBlocks: true);
    private static readonly LanguageSyntax Go = new("Go", ["//"], CBlock, "\"'", ["`"], RawMultiLineStrings: true);
    private static readonly LanguageSyntax Sql = new("SQL", ["--"], CBlock, "'", []);
    private static readonly LanguageSyntax Markup = new("XML", [], [("<!--", "-->")], "", []);
    private static readonly LanguageSyntax Css = new("CSS", [], CBlock, "\"'", []);
    private static readonly LanguageSyntax Yaml = new("YAML", ["#"], [], "\"'", []);
    private static readonly LanguageSyntax Toml = new("TOML", ["#"], [], "\"'", ["\"\"\"", "'''"]);
    private static readonly LanguageSyntax Ruby = new("Ruby", ["#"], [], "\"'", []);
    private static readonly LanguageSyntax Plain = new("Text", [], [], "", []);

    private static readonly Dictionary<string, (string Name, LanguageSyntax Syntax)> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".cs"] = ("C#", CSharp),
        [".csx"] = ("C#", CSharp),
        [".c"] = ("C", CFamily),
        [".h"] = ("C", CFamily),
        [".cpp"] = ("C++", CFamily with { Name = "C++" }),
        [".cc"] = ("C++", CFamily with { Name = "C++" }),
        [".hpp"] = ("C++", CFamily with { Name = "C++" }),
        [".java"] = ("Java", CFamily with { Name = "Java" }),
        [".kt"] = ("Kotlin", CFamily with { Name = "Kotlin", NestedBlocks = true }),
        [".swift"] = ("Swift", CFamily with { Name = "Swift", NestedBlocks = true }),
        [".js"] = ("JavaScript", JavaScript),
        [".mjs"] = ("JavaScript", JavaScript),
        [".cjs"] = ("JavaScript", JavaScript),
        [".jsx"] = ("JavaScript", JavaScript),
        [".ts"] = ("TypeScript", JavaScript with { Name = "TypeScript" }),
        [".tsx"] = ("TypeScript", JavaScript with { Name = "TypeScript" }),
        [".py"] = ("Python", Python),
        [".rb"] = ("Ruby", Ruby),
        [".sh"] = ("Shell", Shell),
        [".bash"] = ("Shell", Shell),
        [".rs"] = ("Rust", Rust),
        [".go"] = ("Go", Go),
        [".sql"] = ("SQL", Sql),
        [".xml"] = ("XML", Markup),
        [".csproj"] = ("XML", Markup),
        [".props"] = ("XML", Markup),
        [".targets"] = ("XML", Markup),
        [".html"] = ("HTML", Markup with { Name = "HTML" }),
        [".htm"] = ("HTML", Markup with { Name = "HTML" }),
        [".css"] = ("CSS", Css),
        [".scss"] = ("SCSS", CFamily with { Name = "SCSS" }),
        [".yml"] = ("YAML", Yaml),
        [".yaml"] = ("YAML", Yaml),
        [".toml"] = ("TOML", Toml),
        [".json"] = ("JSON", Plain with { Name = "JSON" }),
        [".md"] = ("Markdown", Plain with { Name = "Markdown" }),
        [".txt"] = ("Text", Plain),
    };

    private static readonly Dictionary<string, (string Name, LanguageSyntax Syntax)> ByFileName = new(StringComparer.Ordinal)
    {
        ["Dockerfile"] = ("Dockerfile", Shell with { Name = "Dockerfile" }),
        ["Makefile"] = ("Makefile", Shell with { Name = "Makefile" }),
        ["go.mod"] = ("Go Module", Plain with { Name = "Go Module", LineComments = ["//"] }),
        ["pom.xml"] = ("XML", Markup),
    };

    /// <summary>The language of a path, or null when the name says nothing.</summary>
    public static string? Detect(string path) => Syntax(path)?.Name;

    public static LanguageSyntax? Syntax(string path)
    {
        var name = path[(path.LastIndexOf('/') + 1)..];
        if (ByFileName.TryGetValue(name, out var byName))
        {
            return byName.Syntax;
        }

        var dot = name.LastIndexOf('.');
        return dot > 0 && ByExtension.TryGetValue(name[dot..], out var byExtension) ? byExtension.Syntax : null;
    }
}
