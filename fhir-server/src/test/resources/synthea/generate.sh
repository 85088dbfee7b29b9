#!/usr/bin/env bash
# Regenerates the Synthea bundles in this folder. Needs Maven and a JDK; Synthea runs offline.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cat > "$WORK/pom.xml" <<'POM'
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>local</groupId><artifactId>synthea-runner</artifactId><version>1</version>
<dependencies><dependency><groupId>org.mitre.synthea</groupId><artifactId>synthea</artifactId><version>3.3.0</version></dependency></dependencies>
</project>
POM
(cd "$WORK" && mvn -B -q dependency:copy-dependencies -DoutputDirectory="$WORK/lib")
(cd "$WORK" && java -cp "lib/*" App -p 1 -s 7 -cs 7 -r 20250101 -a 30-40 \
  --exporter.years_of_history 3 --exporter.baseDirectory "$WORK/out/" --exporter.fhir.use_us_core_ig false)
cp "$WORK"/out/fhir/hospitalInformation*.json "$HERE/hospitals-batch.json"
cp "$WORK"/out/fhir/practitionerInformation*.json "$HERE/practitioners-batch.json"
find "$WORK/out/fhir" -name '*.json' ! -name 'hospitalInformation*' ! -name 'practitionerInformation*' \
  -exec cp {} "$HERE/patient-transaction.json" \;
