using System.Globalization;
using System.Text;

namespace DevMentor.Functions.Analytics;

/// <summary>
/// RFC 4180 CSV of analytics rows: a header, then one line per row, CRLF line ends. Text cells that
/// a spreadsheet would run as a formula (=, +, -, @ first) get a leading apostrophe: branch names
/// and user ids come from outside. Too small a need for a library.
/// </summary>
public static class Csv
{
    public const string MediaType = "text/csv";

    public static bool Wanted(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals(MediaType, StringComparison.OrdinalIgnoreCase));

    public static IResult Result(IReadOnlyList<string> header, IEnumerable<object?[]> rows, string fileName)
    {
        var text = new StringBuilder();
        AppendLine(text, header.Cast<object?>().ToArray());
        foreach (var row in rows)
        {
            AppendLine(text, row);
        }

        return new CsvResult(text.ToString(), fileName);
    }

    private static void AppendLine(StringBuilder text, object?[] cells)
    {
        for (var i = 0; i < cells.Length; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(Cell(cells[i]));
        }

        text.Append("\r\n");
    }

    private static string Cell(object? value) => value switch
    {
        null => "",
        DateTimeOffset t => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Text(value.ToString() ?? ""),
    };

    private static string Text(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private sealed class CsvResult(string text, string fileName) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = MediaType + "; charset=utf-8; header=present";
            httpContext.Response.Headers.ContentDisposition = $"inline; filename=\"{fileName}\"";
            await httpContext.Response.WriteAsync(text, Encoding.UTF8, httpContext.RequestAborted);
        }
    }
}
