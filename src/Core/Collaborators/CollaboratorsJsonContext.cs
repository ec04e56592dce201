using System.Text.Json;
using System.Text.Json.Serialization;

namespace DevMentor.Core.Collaborators;

/// <summary>Source-generated JSON for the Collaborators feature's HTTP answers.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Collaborator))]
[JsonSerializable(typeof(CollaboratorPage))]
[JsonSerializable(typeof(Invitation))]
[JsonSerializable(typeof(InvitationPage))]
public sealed partial class CollaboratorsJsonContext : JsonSerializerContext;
