import Foundation
import Glibc
import Syscalls
import Testing

/// The repository's top directory (this file is Tests/DosirakTests/ChapterTests.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// Chapter file names (`01-chroot.md`) found in either language.
let chapterNames: [String] = {
    let names = ["en", "ko"].flatMap { language in
        (try? FileManager.default.contentsOfDirectory(atPath: "\(repositoryRoot)/Chapters/\(language)")) ?? []
    }
    return Set(names.filter { $0.hasSuffix(".md") }).sorted()
}()

func chapter(_ language: String, _ name: String) throws -> Chapter {
    try Chapter(path: "\(repositoryRoot)/Chapters/\(language)/\(name)")
}

@Suite("Chapters")
struct ChapterTests {
    @Test("every chapter is written in both English and Korean", arguments: chapterNames)
    func bothLanguages(name: String) {
        for language in ["en", "ko"] {
            #expect(FileManager.default.fileExists(atPath: "\(repositoryRoot)/Chapters/\(language)/\(name)"),
                    "Chapters/\(language)/\(name) is missing")
        }
    }

    @Test("en and ko have the same sections, in the same order", arguments: chapterNames)
    func sameSections(name: String) throws {
        let en = try chapter("en", name), ko = try chapter("ko", name)
        #expect(en.headingLevels == ko.headingLevels,
                "headings: en \(zip(en.headingLevels, en.headings).map { "\($0) \($1)" }) / ko \(zip(ko.headingLevels, ko.headings).map { "\($0) \($1)" })")
    }

    @Test("en and ko have identical code blocks and figures", arguments: chapterNames)
    func sameCodeAndFigures(name: String) throws {
        let en = try chapter("en", name), ko = try chapter("ko", name)
        #expect(en.codeBlocks.count == ko.codeBlocks.count, "en has \(en.codeBlocks.count) code blocks, ko \(ko.codeBlocks.count)")
        for (a, b) in zip(en.codeBlocks, ko.codeBlocks) where a != b {
            Issue.record("code block at en line \(a.line) differs from ko line \(b.line):\n\(a.info)\n\(a.text)\n---\n\(b.info)\n\(b.text)")
        }
        #expect(en.figures == ko.figures)
        for figure in en.figures {
            let path = URL(fileURLWithPath: "\(repositoryRoot)/Chapters/en").appendingPathComponent(figure).standardized.path
            #expect(FileManager.default.fileExists(atPath: path), "figure \(figure) is missing")
        }
    }

    @Test("every excerpt appears verbatim in the source file it names", arguments: chapterNames)
    func excerptsAreReal(name: String) throws {
        for block in try chapter("en", name).codeBlocks {
            guard let file = block.sourceFile else { continue }
            guard let source = try? String(contentsOfFile: "\(repositoryRoot)/\(file)", encoding: .utf8) else {
                Issue.record("\(name) line \(block.line): \(file) does not exist")
                continue
            }
            let verbatim = source.contains(block.text)
            #expect(verbatim, "\(name) line \(block.line): the excerpt is not in \(file) as written")
        }
    }

    @Test("every command marked to run still succeeds", .enabled(if: geteuid() == 0, "the chapters' commands run as root"),
          arguments: chapterNames)
    func commandsRun(name: String) throws {
        for block in try chapter("en", name).codeBlocks where block.runs {
            var spawn = Spawn("/bin/bash", arguments: ["-eo", "pipefail", "-c", block.text])
            spawn.workingDirectory = repositoryRoot
            spawn.environment = CurrentProcess.environment().filter { !$0.hasPrefix("MAKEFLAGS=") && !$0.hasPrefix("MAKELEVEL=") }
            let (status, output) = try spawn.output(includeErrors: true)
            #expect(status == .exited(0), "\(name) line \(block.line): `\(block.text)` \(status):\n\(output.suffix(2000))")
        }
    }
}
