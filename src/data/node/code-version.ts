// Which version of the code produced a statistics file: the project's git
// commit and whether tracked files had uncommitted changes. Outside a git
// checkout (a container built from a tarball) both are unknown (null).
import {execFileSync} from "node:child_process";
import type {CodeVersion} from "../../lib/stats-format.js";
import {PROJECT_ROOT} from "./sources.js";

export function codeVersion(dir: string = PROJECT_ROOT): CodeVersion {
  const git = (...args: string[]) => execFileSync("git", args, {cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"]}).trim();
  try {
    const commit = git("rev-parse", "HEAD");
    let modified: boolean | null = null;
    try {
      modified = git("status", "--porcelain", "--untracked-files=no").length > 0;
    } catch {
      // The commit is known even if the status is not (e.g. a read-only checkout git refuses to lock).
    }
    return {commit, modified};
  } catch {
    return {commit: null, modified: null};
  }
}
