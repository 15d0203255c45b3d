-- Argo CD health check for certification.modelcert.io/ModelCertification. It reads the
-- conditions kstatus reads, so Argo CD, Flux and kubectl wait agree:
--   Healthy      Ready=True: the last verdict is CERTIFIED and valid, also while it is re-certified
--   Progressing  a run in progress or due (Reconciling=True), or a spec not yet observed
--   Degraded     a settled negative verdict (Stalled=True): Failed, QualityWarning or Expired
--   Suspended    suspended before any verdict (Stalled=True, reason Suspended)
hs = {}

local function condition(typ)
  if obj.status ~= nil and obj.status.conditions ~= nil then
    for _, c in ipairs(obj.status.conditions) do
      if c.type == typ then
        return c
      end
    end
  end
  return nil
end

local function message(c)
  if c ~= nil and c.message ~= nil then
    return c.message
  end
  return ""
end

if obj.status == nil or obj.status.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator"
  return hs
end
if obj.metadata.generation ~= nil and obj.status.observedGeneration ~= obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe the latest spec"
  return hs
end

local ready = condition("Ready")
local reconciling = condition("Reconciling")
local stalled = condition("Stalled")
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = message(ready)
elseif reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = message(reconciling)
elseif stalled ~= nil and stalled.status == "True" and stalled.reason == "Suspended" then
  hs.status = "Suspended"
  hs.message = message(stalled)
elseif stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = message(stalled)
else
  hs.status = "Progressing"
  hs.message = message(ready)
end
return hs
