namespace DevMentor.Core.Code.Analysis;

/// <summary>Code, comment and blank lines of one file.</summary>
public readonly record struct LineCounts(int Code, int Comment, int Blank)
{
    public int Total => Code + Comment + Blank;

    public static LineCounts operator +(LineCounts a, LineCounts b) => new(a.Code + b.Code, a.Comment + b.Comment, a.Blank + b.Blank);
}

/// <summary>
/// Counts lines with each language's comment and string syntax. A line with any code is code (even
/// with a comment after it); a line with only comment text is a comment; a line of whitespace is
/// blank. Text inside strings is code, however much it looks like a comment ("// not a comment"),
/// and a line inside a multi-line string is code. Written here because no maintained .NET library
/// counts lines per language (tokei and cloc are programs); the scanner is a small state machine.
/// </summary>
public static class LineCounter
{
    private enum State
    {
        Normal,
        Block,
        String,
        MultiLineString,
        Verbatim,
    }

    public static LineCounts Count(ReadOnlySpan<char> text, LanguageSyntax? syntax)
    {
        int code = 0, comment = 0, blank = 0;
        var state = State.Normal;
        var depth = 0;
        var closer = "";
        var quote = '\0';
        while (text.Length > 0)
        {
            var end = text.IndexOf('\n');
            var line = end < 0 ? text : text[..end];
            text = end < 0 ? [] : text[(end + 1)..];
            if (end < 0 && line.IsEmpty)
            {
                break; // the text ended with a newline: there is no further line
            }

            var inString = state is State.MultiLineString or State.Verbatim;
            var (hasCode, hasComment) = (inString, false);
            if (syntax is null)
            {
                hasCode = !line.IsWhiteSpace();
            }
            else
            {
                ScanLine(line, syntax, ref state, ref depth, ref closer, ref quote, ref hasCode, ref hasComment);
            }

            if (hasCode)
            {
                code++;
            }
            else if (hasComment)
            {
                comment++;
            }
            else
            {
                blank++;
            }
        }

        return new LineCounts(code, comment, blank);
    }

    private static void ScanLine(ReadOnlySpan<char> line, LanguageSyntax syntax, ref State state, ref int depth, ref string closer, ref char quote, ref bool hasCode, ref bool hasComment)
    {
        var i = 0;
        while (i < line.Length)
        {
            var c = line[i];
            switch (state)
            {
                case State.Normal:
                    if (char.IsWhiteSpace(c))
                    {
                        i++;
                        continue;
                    }

                    if (StartsAny(line, i, syntax.LineComments) is not null)
                    {
                        hasComment = true;
                        return;
                    }

                    if (OpenBlock(line, i, syntax) is { } block)
                    {
                        (state, depth, closer, hasComment) = (State.Block, 1, block.Close, true);
                        i += block.Open.Length;
                        continue;
                    }

                    hasCode = true;
                    if (StartsAny(line, i, syntax.MultiLineStrings) is { } delimiter)
                    {
                        (state, closer) = (State.MultiLineString, delimiter);
                        i += delimiter.Length;
                        continue;
                    }

                    if (syntax.VerbatimStrings && c == '@' && i + 1 < line.Length && line[i + 1] == '"')
                    {
                        state = State.Verbatim;
                        i += 2;
                        continue;
                    }

                    if (syntax.Strings.Contains(c, StringComparison.Ordinal))
                    {
                        (state, quote) = (State.String, c);
                    }

                    i++;
                    continue;
                case State.Block:
                    hasComment |= !char.IsWhiteSpace(c); // a line that only closes the block is comment too
                    if (syntax.NestedBlocks && OpenBlock(line, i, syntax) is { } inner)
                    {
                        depth++;
                        i += inner.Open.Length;
                        continue;
                    }

                    if (line[i..].StartsWith(closer, StringComparison.Ordinal))
                    {
                        i += closer.Length;
                        if (--depth == 0)
                        {
                            state = State.Normal;
                        }

                        continue;
                    }

                    i++;
                    continue;
                case State.String:
                    if (c == '\\')
                    {
                        i += 2;
                        continue;
                    }

                    if (c == quote)
                    {
                        state = State.Normal;
                    }

                    i++;
                    continue;
                case State.MultiLineString:
                    if (c == '\\' && !syntax.RawMultiLineStrings)
                    {
                        i += 2;
                        continue;
                    }

                    if (line[i..].StartsWith(closer, StringComparison.Ordinal))
                    {
                        state = State.Normal;
                        i += closer.Length;
                        continue;
                    }

                    i++;
                    continue;
                default: // verbatim: "" is a quote, " ends it
                    if (c == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            i += 2;
                            continue;
                        }

                        state = State.Normal;
                    }

                    i++;
                    continue;
            }
        }

        if (state == State.String)
        {
            state = State.Normal; // an ordinary string does not go past its line
        }
    }

    private static string? StartsAny(ReadOnlySpan<char> line, int at, IReadOnlyList<string> markers)
    {
        foreach (var marker in markers)
        {
            if (line[at..].StartsWith(marker, StringComparison.Ordinal))
            {
                return marker;
            }
        }

        return null;
    }

    private static (string Open, string Close)? OpenBlock(ReadOnlySpan<char> line, int at, LanguageSyntax syntax)
    {
        foreach (var block in syntax.BlockComments)
        {
            if (line[at..].StartsWith(block.Open, StringComparison.Ordinal))
            {
                return block;
            }
        }

        return null;
    }
}
