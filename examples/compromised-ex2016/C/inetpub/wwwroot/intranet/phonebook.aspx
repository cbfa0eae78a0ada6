<%@ Page Language="C#" AutoEventWireup="true" CodeBehind="phonebook.aspx.cs" Inherits="Intranet.Phonebook" %>
<html><body><asp:Repeater ID="people" runat="server"><ItemTemplate>
<tr><td><%# DataBinder.Eval(Container.DataItem, "Name") %></td><td><%# Eval("Phone") %></td></tr>
</ItemTemplate></asp:Repeater>
<script>var data = eval('(' + document.getElementById('j').value + ')');</script>
<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==">
</body></html>
