namespace DevMentor.Core.Code;

/// <summary>Repository paths and revisions as clients may name them.</summary>
public static class CodePaths
{
    public const int MaxPathLength = 4096;
    public const int MaxRevisionLength = 255;

    /// <summary>
    /// A repository-relative path: '/'-separated, no empty, "." or ".." segment (no way out of the
    /// tree), no NUL or other control character, no backslash; surrounding slashes are dropped.
    /// </summary>
    /// <returns>The normalised path ("" for the root when <paramref name="allowRoot"/>), or null with the reason.</returns>
    public static (string? Path, string? Error) Normalize(string? raw, bool allowRoot)
    {
        var path = (raw ?? "").Trim('/');
        if (path.Length == 0)
        {
            return allowRoot ? ("", null) : (null, "A file path is required.");
        }

        if (path.Length > MaxPathLength)
        {
            return (null, $"At most {MaxPathLength} characters.");
        }

        if (path.Any(char.IsControl))
        {
            return (null, "Control characters (NUL included) are not allowed in a path.");
        }

        if (HasLoneSurrogate(path))
        {
            return (null, "The path is not valid Unicode (an unpaired surrogate).");
        }

        if (path.Contains('\\', StringComparison.Ordinal))
        {
            return (null, "Use '/' to separate folders.");
        }

        if (path.Split('/').Any(segment => segment is "" or "." or ".."))
        {
            return (null, "Empty, '.' and '..' segments are not allowed.");
        }

        return (path, null);
    }

    /// <summary>
    /// A path a client may write: <see cref="Normalize"/>'s rules, and no <c>.git</c> segment in any
    /// case (git itself refuses such entries, and a checkout of one could rewrite a repository's config).
    /// </summary>
    public static (string? Path, string? Error) NormalizeForWrite(string? raw)
    {
        var (path, error) = Normalize(raw, allowRoot: false);
        if (error is not null)
        {
            return (null, error);
        }

        return path!.Split('/').Any(segment => segment.Equals(".git", StringComparison.OrdinalIgnoreCase))
            ? (null, "Paths inside '.git' cannot be written.")
            : (path, null);
    }

    /// <summary>A branch a write may name: a short name or refs/heads/…; the full ref, or null when it is no branch name.</summary>
    public static string? BranchRef(string branch)
    {
        if (!IsRevision(branch) || branch.EndsWith('/') || branch.EndsWith(".lock", StringComparison.Ordinal) || branch.Contains("//", StringComparison.Ordinal) || branch.Contains("@{", StringComparison.Ordinal))
        {
            return null;
        }

        if (branch.StartsWith("refs/", StringComparison.Ordinal))
        {
            return branch.StartsWith("refs/heads/", StringComparison.Ordinal) && branch.Length > "refs/heads/".Length ? branch : null;
        }

        return "refs/heads/" + branch;
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>
    /// Percent-decodes what the server left encoded in a route value (%2F, and sequences that are
    /// not UTF-8, such as the encoded lone surrogate %ED%A0%80) and refuses a result that is not
    /// valid UTF-8, where <see cref="Uri.UnescapeDataString(string)"/> would keep the escapes as text.
    /// </summary>
    public static (string? Text, string? Error) UnescapeStrict(string raw)
    {
        var bytes = new List<byte>(raw.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '%' && i + 2 < raw.Length && Uri.IsHexDigit(raw[i + 1]) && Uri.IsHexDigit(raw[i + 2]))
            {
                bytes.Add((byte)Convert.ToInt32(raw.Substring(i + 1, 2), 16));
                i += 2;
                continue;
            }

            if (char.IsSurrogate(raw[i]))
            {
                if (!(char.IsHighSurrogate(raw[i]) && i + 1 < raw.Length && char.IsLowSurrogate(raw[i + 1])))
                {
                    return (null, "The path is not valid Unicode (an unpaired surrogate).");
                }

                bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(raw.Substring(i, 2)));
                i++;
                continue;
            }

            var written = new System.Text.Rune(raw[i]).EncodeToUtf8(utf8);
            for (var b = 0; b < written; b++)
            {
                bytes.Add(utf8[b]);
            }
        }

        try
        {
            return (StrictUtf8.GetString(bytes.ToArray()), null);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return (null, "The path is not valid UTF-8 once decoded (an encoded lone surrogate or a stray byte).");
        }
    }

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A branch, tag, full ref or commit sha: printable, no "..", not starting with '-'.</summary>
    public static bool IsRevision(string revision) =>
        revision.Length is > 0 and <= MaxRevisionLength && !revision.StartsWith('-') && !revision.Contains("..", StringComparison.Ordinal)
        && revision.All(c => c is > ' ' and < '\u007f' && c is not ('~' or '^' or ':' or '?' or '*' or '[' or '\\'));
}
