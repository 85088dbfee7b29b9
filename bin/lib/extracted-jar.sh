# Sourced by bin/run and bin/dev-token (needs ROOT). The server's executable jar, extracted once per build with
# Spring Boot's jarmode tools into fhir-server/target/extracted: the JVM then loads classes from plain jars on the
# class path instead of from jars nested in a jar (much less work per class), and class data sharing (CDS), which
# only reads plain jars, can keep the parsed and verified classes in an archive for the next start (bin/dev-token).
EXTRACTED="$ROOT/fhir-server/target/extracted"

# ensure_extracted JAR: (re)extracts when JAR is newer than the last extraction; prints nothing on success.
ensure_extracted() {
  local jar=$1 tmp
  [[ -f "$EXTRACTED/.extracted" && ! "$jar" -nt "$EXTRACTED/.extracted" ]] && return 0
  tmp=$(mktemp -d "$ROOT/fhir-server/target/extracting.XXXXXX")
  java -Djarmode=tools -jar "$jar" extract --destination "$tmp/x" >/dev/null
  touch -r "$jar" "$tmp/x/.extracted"
  rm -rf "$EXTRACTED"
  mv "$tmp/x" "$EXTRACTED"
  rmdir "$tmp"
}

# Class data sharing in two steps, both with the JDK's own tools: a run that finds no archive lists the classes it
# loads (-XX:DumpLoadedClassList); after a clean run, a separate JVM builds the archive from that list (-Xshare:dump)
# and later runs map it. (Recording at exit with -XX:ArchiveClassesAtExit crashed JDK 17 at the end of a server run.)

# cds_prepare NAME: sets CDS_FLAGS (an array of JVM flags) to use the archive NAME.jsa of this extraction, or, when
# there is none yet, to list the loaded classes (CDS_RECORDING is then set). JVM messages go to stderr, never to
# stdout; CDS's own (classes it cannot archive, such as those of signed jars) only on error.
cds_prepare() {
  local archive="$EXTRACTED/$1.jsa"
  CDS_RECORDING=""
  if [[ -f "$archive" ]]; then
    CDS_FLAGS=("-XX:SharedArchiveFile=$archive")
  elif [[ -f "$archive.failed" ]]; then
    CDS_FLAGS=()
  else
    CDS_RECORDING="$EXTRACTED/$1.classlist.$$"
    CDS_FLAGS=("-XX:DumpLoadedClassList=$CDS_RECORDING")
  fi
  CDS_FLAGS+=(-Xlog:disable -Xlog:all=warning:stderr "-Xlog:cds*=error:stderr")
}

# cds_keep NAME CLASSPATH: after a clean run that listed its classes, builds NAME.jsa from the list in the background
# (the caller does not wait); one build at a time (a lock directory; one left by a killed build expires in 10 min).
# A failed build leaves NAME.jsa.failed: no archive for this extraction then, and no further attempt.
cds_keep() {
  local list=${CDS_RECORDING:-} archive="$EXTRACTED/$1.jsa" lock="$EXTRACTED/$1.building"
  CDS_RECORDING=""
  [[ -n "$list" && -s "$list" ]] || { rm -f "$list"; return 0; }
  find "$lock" -maxdepth 0 -mmin +10 -exec rmdir {} \; 2>/dev/null || true
  mkdir "$lock" 2>/dev/null || { rm -f "$list"; return 0; }
  (if java -Xshare:dump "-XX:SharedClassListFile=$list" "-XX:SharedArchiveFile=$archive.$$" -Xlog:disable -cp "$2"
   then mv -f "$archive.$$" "$archive"; else touch "$archive.failed"; fi
   rm -f "$list" "$archive.$$"; rmdir "$lock") \
      </dev/null >/dev/null 2>&1 &
}

cds_discard() {
  [[ -n "${CDS_RECORDING:-}" ]] && rm -f "$CDS_RECORDING"
  CDS_RECORDING=""
}
