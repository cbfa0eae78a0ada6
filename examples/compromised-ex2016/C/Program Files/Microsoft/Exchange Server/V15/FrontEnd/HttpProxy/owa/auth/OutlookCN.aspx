<%@ Page language="c#" AutoEventWireup="false" Inherits="Microsoft.Exchange.HttpProxy.OutlookCN" %>
<%@ Import namespace="Microsoft.Exchange.Clients" %>
<!DOCTYPE html>
<html><head><title>Outlook</title>
<link rel="stylesheet" href="/owa/auth/15.1.2176/themes/resources/logon.css">
</head><body class="signInBg"><form action="/owa/auth.owa" method="POST" name="logonForm">
<input id="username" name="username" type="text"><input id="password" name="password" type="password">
</form></body></html>
