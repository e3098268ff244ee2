import FoundationEssentials
import Layers
import Syscalls

/// What `system df` reports: the space images, containers and volumes take, how much of it
/// is in use, and how much a prune would give back.
///
/// Images are counted by layer (snapshot), so a layer two images share is counted once;
/// containers by their writable layer (`upper`), measured on disk; volumes by their data.
struct DiskReport {
    struct ImageUsage {
        let summary: ImageSummary
        let snapshots: [Snapshot]
        /// Bytes in layers that another image uses too.
        let shared: Int64
        let containers: Int
        var size: Int64 { summary.size }
    }

    struct ContainerUsage {
        let entry: ContainerEntry
        let size: Int64
    }

    struct VolumeUsage {
        let volume: Volume
        let links: Int
        let size: Int64
    }

    var images: [ImageUsage] = []
    var containers: [ContainerUsage] = []
    var volumes: [VolumeUsage] = []
    /// Every layer once, and the layers of the images that containers use.
    var imagesSize: Int64 = 0
    var imagesInUse: Int64 = 0

    init(_ context: Context) {
        let entries = context.containers.all().map { context.reconcile($0) }
        // One image per image ID; `images()` lists one line per name.
        var seen = Set<Digest>()
        var found: [(ImageSummary, [Snapshot])] = []
        for summary in (try? context.images.images()) ?? [] where seen.insert(summary.id).inserted {
            guard let image = try? context.images.image(manifest: summary.manifest) else { continue }
            found.append((summary, image.snapshots))
        }
        var users: [Digest: Int] = [:]
        for (_, snapshots) in found { for snapshot in Set(snapshots) { users[snapshot.chainID, default: 0] += 1 } }
        var everyLayer: [Digest: Int64] = [:]
        var usedLayers: [Digest: Int64] = [:]
        for (summary, snapshots) in found {
            let count = entries.filter { $0.imageID == summary.id.description || $0.imageManifest == summary.manifest.description }.count
            let shared = snapshots.filter { users[$0.chainID, default: 0] > 1 }.reduce(0) { $0 + $1.size }
            images.append(ImageUsage(summary: summary, snapshots: snapshots, shared: shared, containers: count))
            for snapshot in snapshots {
                everyLayer[snapshot.chainID] = snapshot.size
                if count > 0 { usedLayers[snapshot.chainID] = snapshot.size }
            }
        }
        imagesSize = everyLayer.values.reduce(0, +)
        imagesInUse = usedLayers.values.reduce(0, +)
        containers = entries.map {
            ContainerUsage(entry: $0, size: DiskUsage.bytes(under: context.containers.layerDirectory($0.id) + "/upper"))
        }
        volumes = context.volumes.all().map { volume in
            VolumeUsage(volume: volume, links: context.volumeUsers(volume.name).count, size: context.volumes.size(volume.name))
        }
    }

    /// The rows of `system df`: Type, TotalCount, Active, Size, Reclaimable.
    var summary: [[String: Any]] {
        let stopped = containers.filter { !$0.entry.state.isLive }
        let unused = volumes.filter { $0.links == 0 }
        return [
            DiskReport.row("Images", images.count, images.filter { $0.containers > 0 }.count,
                           size: imagesSize, reclaimable: imagesSize - imagesInUse),
            DiskReport.row("Containers", containers.count, containers.count - stopped.count,
                           size: containers.reduce(0) { $0 + $1.size }, reclaimable: stopped.reduce(0) { $0 + $1.size }),
            DiskReport.row("Local Volumes", volumes.count, volumes.count - unused.count,
                           size: volumes.reduce(0) { $0 + $1.size }, reclaimable: unused.reduce(0) { $0 + $1.size }),
        ]
    }

    /// `2.4MB (50%)`, as Docker writes the RECLAIMABLE column.
    static func row(_ type: String, _ total: Int, _ active: Int, size: Int64, reclaimable: Int64) -> [String: Any] {
        let reclaim = size > 0 ? "\(Units.humanSize(reclaimable)) (\(reclaimable * 100 / size)%)" : Units.humanSize(reclaimable)
        return ["Type": type, "TotalCount": String(total), "Active": String(active), "Size": Units.humanSize(size), "Reclaimable": reclaim]
    }

    /// `system df -v`: a table for each kind, as Docker's sections.
    var verboseText: String {
        var imageTable = Table(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS"])
        for image in images {
            imageTable.add([image.summary.repository, image.summary.tag, String(image.summary.id.hex.prefix(12)),
                            image.summary.created.map { Timestamp.ago($0) } ?? "N/A",
                            Units.humanSize(image.size, precision: 3), Units.humanSize(image.shared, precision: 3),
                            Units.humanSize(image.size - image.shared, precision: 3), String(image.containers)])
        }
        var containerTable = Table(["CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED", "STATUS", "NAMES"])
        for container in containers {
            let entry = container.entry
            containerTable.add([entry.shortID, entry.image, entry.commandText(truncate: true),
                                String(entry.volumes.filter { $0.kind == .volume }.count),
                                Units.humanSize(container.size, precision: 3), Timestamp.ago(entry.created),
                                entry.statusText(), entry.name])
        }
        var volumeTable = Table(["VOLUME NAME", "LINKS", "SIZE"])
        for volume in volumes {
            volumeTable.add([volume.volume.name, String(volume.links), Units.humanSize(volume.size)])
        }
        return "Images space usage:\n\n" + imageTable.text + "\n\nContainers space usage:\n\n" + containerTable.text
            + "\n\nLocal Volumes space usage:\n\n" + volumeTable.text
    }
}
