using System.Xml.Linq;
using DevMentor.Core.Storage;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace DevMentor.Core.Security;

/// <summary>
/// Keeps the ASP.NET Core Data Protection key ring in the service's blob store (one blob per key
/// under <see cref="Prefix"/>): every instance and both hosts share it, it survives restarts and
/// redeployments (the data directory is scratch space on Azure), and it is kept apart from the
/// database whose columns it encrypts. Data Protection calls this synchronously and rarely (the
/// ring is cached and refreshed about daily), so blocking on the store is acceptable here.
/// </summary>
public sealed class BlobXmlRepository(IBlobStore blobs) : IXmlRepository
{
    public const string Prefix = "system/data-protection/";

    public IReadOnlyCollection<XElement> GetAllElements() => Task.Run(ReadAllAsync).GetAwaiter().GetResult();

    public void StoreElement(XElement element, string friendlyName) =>
        Task.Run(async () =>
        {
            using var content = new MemoryStream();
            element.Save(content, SaveOptions.DisableFormatting);
            content.Position = 0;
            await blobs.PutAsync(Prefix + Name(friendlyName) + ".xml", content, new BlobWriteOptions { ContentType = "application/xml" });
        }).GetAwaiter().GetResult();

    private async Task<IReadOnlyCollection<XElement>> ReadAllAsync()
    {
        var elements = new List<XElement>();
        string? token = null;
        do
        {
            var page = await blobs.ListAsync(Prefix, token);
            foreach (var item in page.Items)
            {
                await using var download = await blobs.GetAsync(item.Key);
                elements.Add(await XElement.LoadAsync(download.Content, LoadOptions.None, CancellationToken.None));
            }

            token = page.ContinuationToken;
        }
        while (token is not null);

        return elements;
    }

    // Friendly names are "key-<guid>"; anything else is reduced to safe characters.
    private static string Name(string friendlyName) =>
        new(friendlyName.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_').ToArray());
}
