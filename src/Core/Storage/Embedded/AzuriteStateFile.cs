using System.Text.Json;
using System.Text.Json.Serialization;

namespace DevMentor.Core.Storage.Embedded;

/// <summary>What a running embedded Azurite left for the next start: its pid and ports (no key: the account is the public well-known one).</summary>
public sealed record AzuriteState(int ProcessId, int BlobPort, int QueuePort, int TablePort);

[JsonSerializable(typeof(AzuriteState))]
internal sealed partial class AzuriteStateJsonContext : JsonSerializerContext;

/// <summary>
/// The state file, and the check that its pid is still that Azurite: after a reboot or in a
/// container a killed run's pid can belong to anything, which must then be left alone.
/// </summary>
internal static class AzuriteStateFile
{
    public static AzuriteState? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), AzuriteStateJsonContext.Default.AzuriteState) : null;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return new AzuriteState(-1, 0, 0, 0); // torn by a crash while it was written: stale
        }
    }

    /// <summary>Written to a temporary file and renamed, so a reader never sees half of it.</summary>
    public static void Write(string path, AzuriteState state)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(state, AzuriteStateJsonContext.Default.AzuriteState));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// True when <paramref name="processId"/> is alive and is Azurite serving <paramref name="location"/>:
    /// its command line names azurite and <c>--location</c> with exactly this directory.
    /// </summary>
    public static bool IsAzuriteServing(int processId, string location)
    {
        if (processId <= 0)
        {
            return false;
        }

        try
        {
            var arguments = File.ReadAllText($"/proc/{processId}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
            var isAzurite = arguments.Any(a => Path.GetFileName(a).StartsWith("azurite", StringComparison.Ordinal));
            var index = Array.IndexOf(arguments, "--location");
            var servesLocation = index >= 0 && index + 1 < arguments.Length && arguments[index + 1] == location;
            return isAzurite && servesLocation;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // gone, or not ours to look at: not our Azurite
        }
    }
}
