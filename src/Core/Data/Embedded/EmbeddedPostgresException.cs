namespace DevMentor.Core.Data.Embedded;

/// <summary>The embedded cluster could not be created or started; the message says what to do.</summary>
public sealed class EmbeddedPostgresException(string message, Exception? inner = null) : Exception(message, inner);
