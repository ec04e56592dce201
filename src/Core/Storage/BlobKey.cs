namespace DevMentor.Core.Storage;

/// <summary>
/// The rules every key and every piece of metadata follow, whatever the adapter: a key is a
/// '/'-separated relative path that cannot name anything outside the store's root.
/// </summary>
public static class BlobKey
{
    /// <summary>Azure's limit on a blob name.</summary>
    public const int MaxLength = 1024;

    /// <summary>Throws <see cref="InvalidBlobKeyException"/> unless <paramref name="key"/> is a valid blob key.</summary>
    public static void Validate(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var problem = Check(key);
        if (problem is not null)
        {
            throw new InvalidBlobKeyException(key, problem);
        }
    }

    /// <summary>Why <paramref name="key"/> is not a valid key, or null when it is.</summary>
    public static string? Check(string key)
    {
        if (key.Length == 0)
        {
            return "it is empty";
        }

        if (key.Length > MaxLength)
        {
            return $"it is longer than {MaxLength} characters";
        }

        foreach (var c in key)
        {
            if (c == '\0')
            {
                return "it contains NUL";
            }

            if (c == '\\')
            {
                return "it contains a backslash (use '/')";
            }

            if (char.IsControl(c))
            {
                return "it contains a control character";
            }
        }

        if (HasLoneSurrogate(key))
        {
            return "it is not valid UTF-16";
        }

        if (key[0] == '/')
        {
            return "it is absolute (starts with '/')";
        }

        if (key[^1] == '/')
        {
            return "it ends with '/'";
        }

        foreach (var segment in key.Split('/'))
        {
            switch (segment)
            {
                case "":
                    return "it has an empty segment ('//')";
                case "." or "..":
                    return $"it has a '{segment}' segment";
            }

            if (segment.Trim().Length == 0 || segment.Trim('.').Length == 0)
            {
                return "it has a segment of only spaces or dots";
            }
        }

        return null;
    }

    /// <summary>Metadata names become lower case; throws <see cref="ArgumentException"/> naming the bad entry.</summary>
    public static IReadOnlyDictionary<string, string> NormalizeMetadata(IReadOnlyDictionary<string, string>? metadata)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (metadata is null)
        {
            return result;
        }

        var total = 0;
        foreach (var (rawName, value) in metadata)
        {
            var name = rawName.ToLowerInvariant();
            if (name.Length is 0 or > 256 || !(char.IsAsciiLetterLower(name[0]) || name[0] == '_') || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
            {
                throw new ArgumentException($"Metadata name '{rawName}' is not an identifier of ASCII letters, digits and '_' (starting with a letter or '_').", nameof(metadata));
            }

            ArgumentNullException.ThrowIfNull(value);
            if (!value.All(c => c is >= ' ' and <= '~') || value.Length > 0 && (value[0] == ' ' || value[^1] == ' '))
            {
                throw new ArgumentException($"Metadata '{name}' must be printable ASCII without leading or trailing spaces.", nameof(metadata));
            }

            if (!result.TryAdd(name, value))
            {
                throw new ArgumentException($"Metadata name '{name}' is given twice (names are case-insensitive).", nameof(metadata));
            }

            total += name.Length + value.Length;
        }

        if (total > 8 * 1024)
        {
            throw new ArgumentException("Metadata is larger than 8 KiB.", nameof(metadata));
        }

        return result;
    }

    public static string NormalizeContentType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return BlobWriteOptions.DefaultContentType;
        }

        if (!contentType.All(c => c is >= ' ' and <= '~'))
        {
            throw new ArgumentException($"Content type '{contentType}' must be printable ASCII.", nameof(contentType));
        }

        return contentType.Trim();
    }

    private static bool HasLoneSurrogate(string key)
    {
        for (var i = 0; i < key.Length; i++)
        {
            if (char.IsHighSurrogate(key[i]))
            {
                if (i + 1 >= key.Length || !char.IsLowSurrogate(key[i + 1]))
                {
                    return true;
                }

                i++;
            }
            else if (char.IsLowSurrogate(key[i]))
            {
                return true;
            }
        }

        return false;
    }
}
