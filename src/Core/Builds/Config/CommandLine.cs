using System.Text;

namespace DevMentor.Core.Builds.Config;

/// <summary>
/// Splits a command string from <c>.devmentor.yml</c> into argv the way a POSIX shell tokenises
/// words, without running a shell: quotes group, backslash escapes, nothing is expanded.
/// Shell operators are refused rather than passed as literal arguments, because a user who
/// writes <c>a &amp;&amp; b</c> expects two commands and would otherwise get a baffling failure.
/// </summary>
public static class CommandLine
{
    private static readonly HashSet<string> Operators = new(StringComparer.Ordinal) { "|", "||", "&&", "&", ";", ">", ">>", "<", "<<", "2>", "2>&1", ">&2", "1>&2", "&>" };

    /// <exception cref="FormatException">Unterminated quote, trailing backslash, shell operator or an empty command.</exception>
    public static IReadOnlyList<string> Split(string command)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        var quotedWord = false;
        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            if (c == '\'')
            {
                var end = command.IndexOf('\'', i + 1);
                if (end < 0)
                {
                    throw new FormatException("unterminated single quote.");
                }

                current.Append(command, i + 1, end - i - 1);
                i = end;
                inWord = quotedWord = true;
            }
            else if (c == '"')
            {
                i++;
                for (; i < command.Length && command[i] != '"'; i++)
                {
                    // Inside double quotes a backslash only escapes the characters a shell would treat specially there.
                    if (command[i] == '\\' && i + 1 < command.Length && command[i + 1] is '"' or '\\' or '$' or '`')
                    {
                        i++;
                    }

                    current.Append(command[i]);
                }

                if (i >= command.Length)
                {
                    throw new FormatException("unterminated double quote.");
                }

                inWord = quotedWord = true;
            }
            else if (c == '\\')
            {
                if (i + 1 >= command.Length)
                {
                    throw new FormatException("trailing backslash.");
                }

                i++;
                if (command[i] != '\n')
                {
                    current.Append(command[i]);
                    inWord = quotedWord = true;
                }
            }
            else if (char.IsWhiteSpace(c))
            {
                Flush();
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }

        Flush();
        if (words.Count == 0)
        {
            throw new FormatException("the command is empty.");
        }

        return words;

        void Flush()
        {
            if (!inWord)
            {
                return;
            }

            var word = current.ToString();
            if (!quotedWord && Operators.Contains(word))
            {
                throw new FormatException($"'{word}' is a shell operator, but commands run without a shell; write the command as [sh, -c, \"...\"] if a shell is needed.");
            }

            words.Add(word);
            current.Clear();
            inWord = quotedWord = false;
        }
    }
}
