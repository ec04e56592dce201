using DevMentor.Core.Code.Analysis;

namespace DevMentor.Core.Tests.Code;

/// <summary>Code, comment and blank lines with each language's comments, and strings that only look like comments.</summary>
public sealed class LineCounterTests
{
    private static LineCounts Count(string path, string text) => LineCounter.Count(text.Replace("\r\n", "\n"), Languages.Syntax(path));

    [Fact]
    public void CSharp_counts_code_with_a_trailing_comment_as_code_and_comment_markers_inside_strings_as_code()
    {
        var text = """
            // a comment
            var url = "http://example.com"; // code and comment: code

            /* a block
               still the block */
            var s = "/* not a comment */";
            var v = @"verbatim "" // still a string
            // still inside the verbatim string";
            var r = \"\"\"
                /* raw string, not a comment */
                \"\"\";
            x = 1; /* trailing block */
            /* a */ y = 2;
            """.Replace("\\\"", "\"", StringComparison.Ordinal);
        var counts = Count("a.cs", text);
        Assert.Equal(new LineCounts(Code: 9, Comment: 3, Blank: 1), counts);
    }

    [Fact]
    public void Python_hash_in_strings_is_code_and_docstrings_are_strings()
    {
        var text = """
            # comment
            x = "# not a comment"  # a comment after code
            y = '''
            # inside a triple-quoted string
            '''

                # indented comment
            """;
        Assert.Equal(new LineCounts(Code: 4, Comment: 2, Blank: 1), Count("a.py", text));
    }

    [Fact]
    public void JavaScript_template_literals_span_lines_and_escaped_quotes_do_not_end_strings()
    {
        var text = """
            const a = `line one
            // inside the template
            `;
            const b = 'it\'s // still a string';
            // real comment
            """;
        Assert.Equal(new LineCounts(Code: 4, Comment: 1, Blank: 0), Count("a.js", text));
    }

    [Fact]
    public void Rust_block_comments_nest()
    {
        var text = """
            /* outer /* inner */ still outer
            */
            fn main() {}
            """;
        Assert.Equal(new LineCounts(Code: 1, Comment: 2, Blank: 0), Count("main.rs", text));
    }

    [Fact]
    public void Sql_dashes_and_go_raw_strings()
    {
        Assert.Equal(new LineCounts(Code: 1, Comment: 1, Blank: 0), Count("q.sql", "-- comment\nSELECT '--not' FROM t;\n"));
        Assert.Equal(new LineCounts(Code: 3, Comment: 0, Blank: 0), Count("m.go", "s := `C:\\\n// in raw\n`\n"));
    }

    [Fact]
    public void Xml_comments_and_unknown_languages()
    {
        Assert.Equal(new LineCounts(Code: 1, Comment: 2, Blank: 1), Count("a.csproj", "<!-- one\ntwo -->\n\n<Project />\n"));
        Assert.Equal(new LineCounts(Code: 2, Comment: 0, Blank: 1), Count("LICENSE", "MIT\n\n// text\n"));
    }
}
