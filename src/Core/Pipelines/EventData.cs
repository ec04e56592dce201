using System.Buffers;
using System.Text.Json;

namespace DevMentor.Core.Pipelines;

/// <summary>Small JSON objects for event data, written without reflection.</summary>
internal static class EventData
{
    public static string Of(params (string Key, object? Value)[] fields)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in fields)
            {
                switch (value)
                {
                    case null:
                        break;
                    case int i:
                        writer.WriteNumber(key, i);
                        break;
                    case long l:
                        writer.WriteNumber(key, l);
                        break;
                    case double d:
                        writer.WriteNumber(key, d);
                        break;
                    case bool b:
                        writer.WriteBoolean(key, b);
                        break;
                    default:
                        writer.WriteString(key, value.ToString());
                        break;
                }
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
