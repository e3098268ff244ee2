/// The shell completion scripts, `dosirak completion bash` and `dosirak completion zsh`,
/// generated from the commands themselves: their words (`network create` is two), their
/// flags, and what their usage line says they take. `stop [OPTIONS] CONTAINER [CONTAINER...]`
/// completes running containers' names, `run [OPTIONS] IMAGE ...` image names, as Docker's
/// completion does. The names come from the dosirak being completed (`ps --format`,
/// `images --format`), with the `--root` typed on the line, so they are always current.
///
///     dosirak completion bash > /usr/share/bash-completion/completions/dosirak
///     dosirak completion zsh > /usr/local/share/zsh/site-functions/_dosirak
struct Completion {
    /// One command: its words, its flags (values taken by some), and its arguments by position.
    struct Entry {
        let name: String
        let flags: [String]
        let valueFlags: [String]
        /// `containers`, `running`, `paused`, `images`, `networks`, `volumes`, `objects`,
        /// `words:bash|zsh` or `any` (files), one per position.
        let arguments: [String]
        /// The last argument may be repeated (`CONTAINER [CONTAINER...]`).
        let repeats: Bool
        /// Once the first argument is there, the rest belongs to the container (`run`, `exec`).
        let stopsAtFirst: Bool
    }

    let entries: [Entry]
    /// Docker's longer spellings (`container ls`) and the command each stands for.
    let aliases: [(String, String)]

    /// Commands that act on running containers only, or paused ones, for their arguments.
    static let onRunning: Set = ["attach", "exec", "kill", "pause", "port", "stop", "top", "stats"]
    static let onPaused: Set = ["unpause"]

    init(commands: [Command], aliases: [String: String]) {
        let names = Set(commands.map(\.name))
        entries = commands.sorted { $0.name < $1.name }.map(Completion.entry)
        self.aliases = aliases.filter { $0.key != $0.value && names.contains($0.value) && !names.contains($0.key) }
            .sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    static func entry(_ command: Command) -> Entry {
        var flags: [String] = []
        var valueFlags: [String] = []
        for flag in command.flags {
            let spellings = ["--" + flag.long] + (flag.short.map { ["-" + String($0)] } ?? [])
            flags += spellings
            if flag.takesValue { valueFlags += spellings }
        }
        // The usage line after the command's words: `[OPTIONS] CONTAINER [CONTAINER...]`.
        var words = Array(command.usage.split(separator: " ").map(String.init).dropFirst(command.name.split(separator: " ").count))
        if let options = words.firstIndex(of: "[ps"), options + 1 < words.count { words.removeSubrange(options...(options + 1)) }
        var arguments: [String] = []
        var repeats = false
        for word in words where word != "[OPTIONS]" {
            let bare = word.filter { $0 != "[" && $0 != "]" }
            if bare.hasSuffix("...") { repeats = true }
            arguments.append(kind(of: String(bare.prefix { $0 != "." }), command: command.name))
        }
        return Entry(name: command.name, flags: flags, valueFlags: valueFlags, arguments: arguments,
                     repeats: repeats, stopsAtFirst: command.stopAtFirstPositional)
    }

    static func kind(of word: String, command: String) -> String {
        if word.contains("CONTAINER") {
            return onRunning.contains(command) ? "running" : onPaused.contains(command) ? "paused" : "containers"
        }
        if word == "NAME|ID" { return "objects" }
        if word.contains("IMAGE") { return "images" }
        if word.contains("NETWORK") { return "networks" }
        if word.contains("VOLUME") { return "volumes" }
        if word.contains("|") && word == word.lowercased() { return "words:" + word }
        return "any"
    }

    /// The first words: single-word commands and the groups of two-word ones.
    var topLevel: [String] {
        Set(entries.map { String($0.name.split(separator: " ")[0]) } + aliases.map { String($0.0.split(separator: " ")[0]) }).sorted()
    }

    /// Each group's second words (`network` -> `create ls prune rm ...`).
    var groups: [(String, [String])] {
        var result: [String: Set<String>] = [:]
        for name in entries.map(\.name) + aliases.map(\.0) {
            let words = name.split(separator: " ").map(String.init)
            if words.count == 2 { result[words[0], default: []].insert(words[1]) }
        }
        return result.keys.sorted().map { ($0, result[$0]!.sorted()) }
    }

    /// Where a kind of name comes from: the dosirak command that lists them, one a line.
    static let sources: [String: String] = [
        "containers": "ps -a --format '{{.Names}}'",
        "running": "ps --format '{{.Names}}'",
        "paused": "ps -a --filter status=paused --format '{{.Names}}'",
        "images": "images --format '{{.Repository}}:{{.Tag}}'",
        "networks": "network ls --format '{{.Name}}'",
        "volumes": "volume ls -q",
    ]

    static let globalFlags = "--root --debug --help --version"

    // MARK: - bash

    var bash: String {
        let groupCases = groups.map { group, words in
            "                    \(group)) COMPREPLY=($(compgen -W \"\(words.joined(separator: " "))\" -- \"$cur\")) ;;"
        }.joined(separator: "\n")
        let aliasCases = aliases.map { "        \"\($0.0)\") command=\"\($0.1)\" ;;" }.joined(separator: "\n")
        let commandCases = entries.map { entry in
            """
                    "\(entry.name)")
                        flags="\(entry.flags.joined(separator: " "))"
                        values="\(entry.valueFlags.joined(separator: " "))"
                        kinds=(\(entry.arguments.map { "'\($0)'" }.joined(separator: " "))) repeats=\(entry.repeats ? 1 : 0) stops=\(entry.stopsAtFirst ? 1 : 0) ;;
            """
        }.joined(separator: "\n")
        let sourceCases = Completion.sources.keys.sorted().map { kind in
            "        \(kind)) names=$(__dosirak_run \(Completion.sources[kind]!)) ;;"
        }.joined(separator: "\n")
        return #"""
            # bash completion for dosirak                                  -*- shell-script -*-
            # Generated by `dosirak completion bash` from the commands this dosirak has.

            # Runs the dosirak being completed, with the --root typed on the line.
            __dosirak_run() {
                "$__dosirak_program" "${__dosirak_global[@]}" "$@" 2>/dev/null
            }

            # Completes names of one kind: containers, running, paused, images, networks, volumes.
            __dosirak_names() {
                local names
                case $1 in
            \#(sourceCases)
                    objects) names="$(__dosirak_run ps -a --format '{{.Names}}') $(__dosirak_run images --format '{{.Repository}}:{{.Tag}}')" ;;
                esac
                local -a found=()
                local name
                for name in $names; do [[ $name == *"<none>"* ]] || found+=("$name"); done
                COMPREPLY=($(compgen -W "${found[*]} $2" -- "$cur"))
                # bash splits words at ':': offer only what follows the last one typed.
                if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
                    local prefix=${cur%"${cur##*:}"} k
                    for k in "${!COMPREPLY[@]}"; do COMPREPLY[k]=${COMPREPLY[k]#"$prefix"}; done
                fi
            }

            _dosirak() {
                local cur prev words cword
                if declare -F _get_comp_words_by_ref >/dev/null; then
                    _get_comp_words_by_ref -n =: cur prev words cword
                else
                    words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
                    cur=${words[cword]} prev=${words[cword-1]}
                fi
                local __dosirak_program=${words[0]}
                local -a __dosirak_global=()
                local i=1
                while (( i < cword )); do
                    case ${words[i]} in
                        --root) __dosirak_global=(--root "${words[i+1]}"); (( i += 2 )) ;;
                        --root=*) __dosirak_global=("${words[i]}"); (( i += 1 )) ;;
                        -*) (( i += 1 )) ;;
                        *) break ;;
                    esac
                done
                if (( i >= cword )); then
                    if [[ $prev == --root ]]; then
                        COMPREPLY=($(compgen -d -- "$cur"))
                    elif [[ $cur == -* ]]; then
                        COMPREPLY=($(compgen -W "\#(Completion.globalFlags)" -- "$cur"))
                    else
                        COMPREPLY=($(compgen -W "\#(topLevel.joined(separator: " "))" -- "$cur"))
                    fi
                    return 0
                fi
                local command=${words[i]}
                (( i += 1 ))
                case $command in
                    \#(groups.map(\.0).joined(separator: "|")))
                        if (( i >= cword )); then
                            case $command in
            \#(groupCases)
                            esac
                            return 0
                        fi
                        command="$command ${words[i]}"
                        (( i += 1 )) ;;
                esac
                case $command in
            \#(aliasCases)
                esac
                local flags values repeats stops
                local -a kinds
                case $command in
            \#(commandCases)
                    *) return 0 ;;
                esac
                # The value of a flag.
                if [[ $prev == -* && " $values " == *" $prev "* ]]; then
                    case $prev in
                        --network|--net) __dosirak_names networks "host none" ;;
                    esac
                    return 0
                fi
                # Which argument this is: flags and their values do not count.
                local n=0 j
                for (( j = i; j < cword; j++ )); do
                    if [[ ${words[j]} == -* ]]; then
                        [[ ${words[j]} != *=* && " $values " == *" ${words[j]} "* ]] && (( j += 1 ))
                    else
                        (( n += 1 ))
                    fi
                done
                # After the image or container, the words are the container's own command.
                (( stops && n > 0 )) && return 0
                if [[ $cur == -* ]]; then
                    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
                    return 0
                fi
                if (( n >= ${#kinds[@]} )); then
                    (( repeats && ${#kinds[@]} > 0 )) || return 0
                    n=$(( ${#kinds[@]} - 1 ))
                fi
                case ${kinds[n]} in
                    words:*) local choices=${kinds[n]#words:}; COMPREPLY=($(compgen -W "${choices//|/ }" -- "$cur")) ;;
                    any) ;;
                    *) __dosirak_names "${kinds[n]}" ;;
                esac
                return 0
            }

            complete -o default -F _dosirak dosirak

            """#
    }

    // MARK: - zsh

    var zsh: String {
        let groupCases = groups.map { group, words in
            "          (\(group)) compadd -- \(words.joined(separator: " ")) ;;"
        }.joined(separator: "\n")
        let aliasCases = aliases.map { "    (\"\($0.0)\") command=\"\($0.1)\" ;;" }.joined(separator: "\n")
        let commandCases = entries.map { entry in
            """
                ("\(entry.name)")
                  flags=(\(entry.flags.joined(separator: " ")))
                  values=(\(entry.valueFlags.joined(separator: " ")))
                  kinds=(\(entry.arguments.map { "'\($0)'" }.joined(separator: " "))) repeats=\(entry.repeats ? 1 : 0) stops=\(entry.stopsAtFirst ? 1 : 0) ;;
            """
        }.joined(separator: "\n")
        let sourceCases = Completion.sources.keys.sorted().map { kind in
            "    (\(kind)) names=(${(f)\"$(__dosirak_run \(Completion.sources[kind]!))\"}) ;;"
        }.joined(separator: "\n")
        return #"""
            #compdef dosirak
            # zsh completion for dosirak. Generated by `dosirak completion zsh` from the commands
            # this dosirak has.

            # Runs the dosirak being completed, with the --root typed on the line.
            __dosirak_run() {
              $__dosirak_program $__dosirak_global "$@" 2>/dev/null
            }

            # Completes names of one kind: containers, running, paused, images, networks, volumes.
            __dosirak_names() {
              local -a names
              case $1 in
            \#(sourceCases)
                (objects) names=(${(f)"$(__dosirak_run ps -a --format '{{.Names}}')"} ${(f)"$(__dosirak_run images --format '{{.Repository}}:{{.Tag}}')"}) ;;
              esac
              names=(${names:#*<none>*} ${=2})
              compadd -- $names
            }

            _dosirak() {
              local __dosirak_program=${words[1]} cur=${words[CURRENT]} prev=${words[CURRENT-1]}
              local -a __dosirak_global
              local -i i=2
              while (( i < CURRENT )); do
                case ${words[i]} in
                  (--root) __dosirak_global=(--root ${words[i+1]}); (( i += 2 )) ;;
                  (--root=*) __dosirak_global=(${words[i]}); (( i += 1 )) ;;
                  (-*) (( i += 1 )) ;;
                  (*) break ;;
                esac
              done
              if (( i >= CURRENT )); then
                if [[ $prev == --root ]]; then
                  _files -/
                elif [[ $cur == -* ]]; then
                  compadd -- \#(Completion.globalFlags)
                else
                  compadd -- \#(topLevel.joined(separator: " "))
                fi
                return 0
              fi
              local command=${words[i]}
              (( i += 1 ))
              case $command in
                (\#(groups.map(\.0).joined(separator: "|")))
                  if (( i >= CURRENT )); then
                    case $command in
            \#(groupCases)
                    esac
                    return 0
                  fi
                  command="$command ${words[i]}"
                  (( i += 1 )) ;;
              esac
              case $command in
            \#(aliasCases)
              esac
              local -a flags values kinds
              local -i repeats stops
              case $command in
            \#(commandCases)
                (*) return 1 ;;
              esac
              # The value of a flag.
              if [[ $prev == -* ]] && (( ${values[(Ie)$prev]} )); then
                case $prev in
                  (--network|--net) __dosirak_names networks "host none" ;;
                  (*) _files ;;
                esac
                return 0
              fi
              # Which argument this is: flags and their values do not count.
              local -i n=0 j
              for (( j = i; j < CURRENT; j++ )); do
                if [[ ${words[j]} == -* ]]; then
                  [[ ${words[j]} != *=* ]] && (( ${values[(Ie)${words[j]}]} )) && (( j += 1 ))
                else
                  (( n += 1 ))
                fi
              done
              # After the image or container, the words are the container's own command.
              if (( stops && n > 0 )); then
                _files
                return 0
              fi
              if [[ $cur == -* ]]; then
                compadd -- $flags
                return 0
              fi
              if (( n >= ${#kinds} )); then
                (( repeats && ${#kinds} > 0 )) || return 0
                n=$(( ${#kinds} - 1 ))
              fi
              local kind=${kinds[n+1]}
              case $kind in
                (words:*) compadd -- ${(s:|:)${kind#words:}} ;;
                (any) _files ;;
                (*) __dosirak_names $kind ;;
              esac
              return 0
            }

            # Not when sourced or eval'ed: then `compdef` ties the function to the command.
            if [[ $funcstack[1] == _dosirak ]]; then
              _dosirak "$@"
            elif (( $+functions[compdef] )); then
              compdef _dosirak dosirak
            fi

            """#
    }
}
