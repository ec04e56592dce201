using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace DevMentor.Core.Projects;

/// <summary>
/// Where a page ended: the last row's (created_at, id). Opaque to clients (base64url); keyset
/// paging means rows inserted meanwhile neither repeat nor push earlier rows out of reach.
/// </summary>
public sealed record ProjectCursor(DateTimeOffset CreatedAt, Guid Id)
{
    public string Encode() =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}.{Id:N}"));

    public static bool TryDecode(string value, out ProjectCursor? cursor)
    {
        cursor = null;
        if (value.Length is 0 or > 200)
        {
            return false;
        }

        string text;
        try
        {
            text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(value));
        }
        catch (FormatException)
        {
            return false;
        }

        var parts = text.Split('.');
        if (parts.Length != 2 ||
            !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ||
            ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks ||
            !Guid.TryParseExact(parts[1], "N", out var id))
        {
            return false;
        }

        cursor = new ProjectCursor(new DateTimeOffset(ticks, TimeSpan.Zero), id);
        return true;
    }
}
