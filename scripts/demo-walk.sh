#!/usr/bin/env bash
# The README's curl session: files a 12345 hotline case against the running demo server and walks it to
# closed, every step as the user whose inbox it lands in (sign in → inbox → claim → complete).
# Needs curl and node (for reading JSON). Usage: bash scripts/demo-walk.sh [base-url]
set -euo pipefail
BASE=${1:-http://localhost:3000}
PASSWORD='Gridflow@2026'

json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=eval("("+s+")"+process.argv[1]);console.log(v===undefined?"":v)})' "$1"; }
login() {
  curl -sf "$BASE/api/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$PASSWORD\"}" | json .token
}
# The key of the case's task with this element id in the user's inbox (waits for the workers to get there).
task_key() {
  for _ in $(seq 1 50); do
    key=$(curl -sf "$BASE/api/tasks?pageSize=200" -H "authorization: Bearer $1" |
      json ".items.filter(i => i.caseId == $2 && i.elementId == '$3').map(i => i.userTaskKey)[0]")
    if [ -n "$key" ]; then echo "$key"; return; fi
    sleep 0.2
  done
  echo "no $3 task for case $2 in the inbox" >&2; exit 1
}
# work <user> <case> <element> <action> <variables-json>
work() {
  local token key
  token=$(login "$1")
  key=$(task_key "$token" "$2" "$3")
  curl -sf -X POST "$BASE/api/tasks/$key/claim" -H "authorization: Bearer $token"
  curl -sf -X POST "$BASE/api/tasks/$key/complete" -H "authorization: Bearer $token" \
    -H 'content-type: application/json' -d "{\"action\":\"$4\",\"variables\":$5}"
  echo "$1: $3 → $4"
}

# 1. The hotline operator (city dispatcher) files the citizen's call: a point in 真州镇 胥浦村, grid 1.
TOKEN=$(login city.dispatcher)
CASE=$(curl -sf "$BASE/api/cases" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{
  "source": "hotline_12345", "sourceTicketId": "12345-'"$(date +%s%N)"'",
  "reporterName": "王先生", "reporterPhone": "13812345678",
  "description": "小区门口垃圾堆放三天无人清运", "address": "胥浦路 18 号",
  "lng": 119.19292, "lat": 32.19534, "categoryCode": "06001"}')
ID=$(echo "$CASE" | json .case.id)
echo "filed case $ID ($(echo "$CASE" | json .case.caseNo)), reporter phone shown as $(echo "$CASE" | json .case.reporterPhone)"
sleep 0.5
PLACE=$(curl -sf "$BASE/api/cases/$ID" -H "authorization: Bearer $TOKEN")
TOWN=$(echo "$PLACE" | json .case.townId)
VILLAGE=$(echo "$PLACE" | json .case.villageId)

# 2. Register, then level-1 dispatch to the town; level-2 dispatch to the village station.
work city.dispatcher "$ID" register register '{"categoryCode":"06001","urgency":"normal","majorEmergency":false}'
work city.dispatcher "$ID" dispatch-city dispatch "{\"dispatchUnitKind\":\"town\",\"dispatchUnitId\":$TOWN}"
work zhenzhou.dispatcher "$ID" dispatch-town dispatch "{\"handlerUnitId\":$VILLAGE}"
# 3. The station handles it, the grid worker verifies on site, the centre closes and calls back.
work zhenzhou.xupu.handler "$ID" handle complete '{"handleResult":"已清运，垃圾桶已增设"}'
work zhenzhou.xupu.grid1 "$ID" verify pass '{"verifyResult":"pass","verifyNote":"现场已清理"}'
work city.dispatcher "$ID" close close '{"closeConditionMet":true}'
work city.dispatcher "$ID" callback record '{"satisfaction":"satisfied","callbackNote":"满意"}'

sleep 0.5
STATUS=$(curl -sf "$BASE/api/cases/$ID" -H "authorization: Bearer $TOKEN" | json .case.status)
echo "case $ID is $STATUS"
[ "$STATUS" = closed ]
